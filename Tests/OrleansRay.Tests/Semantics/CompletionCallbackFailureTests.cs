using OrleansRay.Internal;
using Xunit;

namespace OrleansRay.Tests.Semantics;

/// <summary>A callback on a result that throws while the result is delivered (found in review of the layered runtime)
/// must not keep the finished task's lease, nor stop its actor from running further calls: the worker loop that ran the
/// work goes on.</summary>
public sealed class CompletionCallbackFailureTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private static readonly ManualResetEventSlim TaskGate = new(false);
    private static readonly ManualResetEventSlim ActorGate = new(false);

    /// <summary>A task that waits for <see cref="TaskGate"/>.</summary>
    public static int Gated()
    {
        TaskGate.Wait(Deadline);
        return 1;
    }

    /// <summary>A task that returns at once.</summary>
    public static int Quick() => 2;

    [Fact]
    public async Task A_throwing_result_callback_does_not_keep_the_tasks_lease()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { NumCpus = 1, ObjectStoreMemory = 0 });
        var runtime = ((IRayRuntimeAccess)ray).Runtime;
        var first = ray.Task(Gated).Remote();
        Assert.True(runtime.Objects.TryGet(first.Id, out var entry));
        var delivered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        entry.OnComplete(_ => delivered.TrySetResult());
        entry.OnComplete(_ => throw new InvalidOperationException("a result callback threw"));

        TaskGate.Set();
        await delivered.Task.WaitAsync(Deadline);

        Assert.Equal(1, await ray.GetAsync(first, Deadline));
        // The node has 1 CPU: this runs only if the first task's lease was given back.
        Assert.Equal(2, await ray.GetAsync(ray.Task(Quick).Remote(), Deadline));
    }

    [Fact]
    public async Task A_throwing_result_callback_does_not_stop_the_actor()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { NumCpus = 1, ObjectStoreMemory = 0 });
        var runtime = ((IRayRuntimeAccess)ray).Runtime;
        var actor = ray.Actor(() => new GatedActor()).Remote();
        var first = actor.Task(a => a.Gated()).Remote();
        Assert.True(runtime.Objects.TryGet(first.Id, out var entry));
        var delivered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        entry.OnComplete(_ => delivered.TrySetResult());
        entry.OnComplete(_ => throw new InvalidOperationException("a result callback threw"));

        ActorGate.Set();
        await delivered.Task.WaitAsync(Deadline);

        Assert.Equal(1, await ray.GetAsync(first, Deadline));
        Assert.Equal(2, await ray.GetAsync(actor.Task(a => a.Quick()).Remote(), Deadline));
    }

    [Fact]
    public void Every_callback_of_an_entry_runs_when_an_earlier_one_throws()
    {
        var entry = new OrleansRay.Ownership.ObjectEntry(ObjectId.NewId());
        var later = false;
        entry.OnComplete(_ => throw new InvalidOperationException("a result callback threw"));
        entry.OnComplete(_ => later = true);

        var thrown = Assert.Throws<InvalidOperationException>(() => entry.TrySetValue(1));

        Assert.Equal("a result callback threw", thrown.Message);
        Assert.True(later, "the callback after the throwing one ran (a Get waiting on it would otherwise hang)");
        Assert.True(entry.IsComplete);
    }

    /// <summary>An actor whose first call waits for a gate.</summary>
    public sealed class GatedActor
    {
        /// <summary>Waits for the test's actor gate.</summary>
        public int Gated()
        {
            ActorGate.Wait(Deadline);
            return 1;
        }

        /// <summary>Returns at once.</summary>
        public int Quick() => 2;
    }
}
