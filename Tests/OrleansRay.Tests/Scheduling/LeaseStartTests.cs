using System.Collections.Concurrent;
using OrleansRay.Tests.Functions;
using OrleansRay.Tests.Semantics;
using Xunit;

namespace OrleansRay.Tests.Scheduling;

/// <summary>Leases start on the worker pool straight from the thread that granted them (issue 18: no hop through a
/// grain): the submitter's async locals stay with the submitter, and a worker thread that submits and then blocks on
/// the result never holds up the lease that runs it. Each test starts its own one-CPU node, so the leases it checks
/// are granted by its own submits.</summary>
[Collection(FreshNodeCollection.Name)]
public sealed class LeaseStartTests
{
    /// <summary>Hang detection only: nothing here is slow when it works.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    /// <summary>Set by submitting code (the test, or a task); the tasks a lease runs must never see it.</summary>
    private static readonly AsyncLocal<string?> Marker = new();

    /// <summary>Keys the test registered, so a task can tell it shares this class's statics (and its marker).</summary>
    private static readonly ConcurrentDictionary<string, bool> Registered = new();

    /// <summary>What the task saw of <see cref="Marker"/>; "(other statics)" if it does not share the test's statics,
    /// which would make the check meaningless.</summary>
    public static string ReadMarker(string key) => Registered.ContainsKey(key) ? Marker.Value ?? "(none)" : "(other statics)";

    /// <summary>Sets the marker, then submits a zero-CPU child (granted by this worker thread) and returns what it saw.</summary>
    public static async Task<string> MarkThenSubmit(string key)
    {
        Marker.Value = "parent task";
        return await Ray.Current.Task(ReadMarker, key).Options(new TaskOptions { NumCpus = 0 }).Remote();
    }

    /// <summary>Submits a one-CPU child and blocks its worker thread on the result: on a one-CPU node the child's lease
    /// is granted by this thread as it blocks (it hands its CPU back).</summary>
    public static int BlockOnChild(int x) => Ray.Current.Task(TestFunctions.Square, x).Remote().GetAwaiter().GetResult();

    /// <summary>Submits one-CPU children one at a time, blocking on each (a sync loop on a worker thread).</summary>
    public static int SyncLoop(int count)
    {
        var ray = Ray.Current;
        var sum = 0;
        for (var i = 1; i <= count; i++)
        {
            sum += ray.Task(TestFunctions.Square, i).Remote().GetAwaiter().GetResult();
        }

        return sum;
    }

    [Fact]
    public async Task Async_locals_of_the_submitter_do_not_reach_the_tasks_its_leases_run()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { NumCpus = 1, ObjectStoreMemory = 0, Namespace = "lease-start" });
        var key = Guid.NewGuid().ToString();
        Registered[key] = true;
        try
        {
            // Submit, get, repeat: each task takes a fresh lease (or the previous one's, started the same way).
            for (var i = 0; i < 20; i++)
            {
                Marker.Value = $"driver {i}";
                var seen = await ray.GetAsync(ray.Task(ReadMarker, key).Remote()).AsTask().WaitAsync(Deadline);
                Assert.Equal("(none)", seen);
                Assert.Equal($"driver {i}", Marker.Value);
            }

            // A task submitting from its worker thread: its async locals (the marker, its own task context) stay its own.
            Marker.Value = null;
            Assert.Equal("(none)", await ray.GetAsync(ray.Task(MarkThenSubmit, key).Remote()).AsTask().WaitAsync(Deadline));
        }
        finally
        {
            Registered.TryRemove(key, out _);
        }
    }

    [Fact]
    public async Task A_task_blocking_synchronously_on_a_child_it_submitted_finishes_on_a_one_cpu_node()
    {
        // A fresh node per round: the faults this guards against were races on a new node's single worker thread.
        for (var round = 0; round < 3; round++)
        {
            await using var ray = await Ray.InitAsync(new RayOptions { NumCpus = 1, ObjectStoreMemory = 0, Namespace = "lease-start" });

            var blocked = ray.GetAsync(ray.Task(BlockOnChild, 7).Remote()).AsTask();
            Assert.True(await Task.WhenAny(blocked, Task.Delay(Deadline)) == blocked,
                $"round {round}: a task blocked on its child never finished: the child's lease did not start");
            Assert.Equal(49, await blocked);

            var loop = ray.GetAsync(ray.Task(SyncLoop, 50).Remote()).AsTask();
            Assert.True(await Task.WhenAny(loop, Task.Delay(Deadline)) == loop,
                $"round {round}: a task submitting and blocking on 50 children in turn never finished");
            Assert.Equal(Enumerable.Range(1, 50).Sum(i => i * i), await loop);
        }
    }
}
