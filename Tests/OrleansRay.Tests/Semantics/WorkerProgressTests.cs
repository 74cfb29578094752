using OrleansRay.Tests.Actors;
using OrleansRay.Tests.Functions;
using Xunit;
using OrleansRay.Execution;

namespace OrleansRay.Tests.Semantics;

/// <summary>Issue 9, case 1: a blocked worker never keeps runnable work from starting (Ray starts another worker).
/// Each test runs on a fresh node (the fault showed on an idle pool) and reports a stall as a failure under a deadline.</summary>
[Collection(FreshNodeCollection.Name)]
public sealed class WorkerProgressTests
{
    /// <summary>Hang detection only: nothing here is slow when it works.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    /// <summary>Fresh nodes per test: the faults were races on a new node's idle pool, seen in most runs, not all.</summary>
    private const int Rounds = 5;

    [Fact]
    public async Task Work_queued_back_to_back_on_an_idle_pool_gets_a_thread_each_even_when_every_taker_blocks()
    {
        // Rounds make the race certain on the old pool: it counted its idle thread once per queued item.
        for (var round = 0; round < 20; round++)
        {
            using var pool = new WorkerPool($"progress-{round}", minThreads: 1, maxThreads: 16);
            await pool.Run(() => Task.CompletedTask); // the pool's one thread has run once and waits again
            using var first = new ManualResetEventSlim();
            using var second = new ManualResetEventSlim();
            var all = await Task.Run(() => new[]
            {
                pool.Run(() => Task.FromResult(first.Wait(Deadline * 2))),
                pool.Run(() => Task.FromResult(second.Wait(Deadline * 2))),
                pool.Run(() => { first.Set(); second.Set(); return Task.CompletedTask; }),
            });
            try
            {
                await Task.WhenAll(all).WaitAsync(Deadline);
            }
            catch (TimeoutException)
            {
                Assert.Fail($"round {round}: the task that opens the gates never got a thread while the others waited on them");
            }
            finally
            {
                first.Set();
                second.Set();
            }
        }
    }

    [Fact]
    public async Task Zero_cpu_tasks_waiting_on_a_gate_do_not_keep_the_task_that_opens_it_from_starting()
    {
        // A fresh node each round: the fault needs an idle pool that has not grown yet.
        for (var round = 0; round < Rounds; round++)
        {
            await using var ray = await Ray.InitAsync(new RayOptions { NumCpus = 2, ObjectStoreMemory = 0, Namespace = "progress" });
            var zero = new TaskOptions { NumCpus = 0 };
            var (a, b) = (Guid.NewGuid().ToString(), Guid.NewGuid().ToString());
            try
            {
                var waitA = ray.Task(SemanticsFunctions.WaitOnGate, a).Options(zero).Remote();
                Assert.True(Gates.Get(a + ".started").Wait(Deadline), $"round {round}: the first task never started");
                var waitB = ray.Task(SemanticsFunctions.WaitOnGate, b).Options(zero).Remote();
                var opener = ray.Task(SemanticsFunctions.OpenGates, a, b).Options(zero).Remote();

                var opened = ray.GetAsync(opener).AsTask();
                Assert.True(await Task.WhenAny(opened, Task.Delay(Deadline)) == opened, $"round {round}: the task that opens the gates did not start while the two others waited on them");
                // Both waiters saw their gate open (not their own timeout).
                Assert.Equal(new[] { true, true }, await ray.GetAsync(new[] { waitA, waitB }).WaitAsync(Deadline));
            }
            finally
            {
                Gates.Get(a).Set();
                Gates.Get(b).Set();
            }
        }
    }

    [Fact]
    public async Task Zero_cpu_tasks_blocked_in_user_code_beyond_the_lease_cap_do_not_keep_the_one_that_unblocks_them_from_starting()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { NumCpus = 2, ObjectStoreMemory = 0, Namespace = "progress" });
        var zero = new TaskOptions { NumCpus = 0 };
        var gate = Guid.NewGuid().ToString();
        try
        {
            // More waiters than the node's cap on concurrent zero-resource leases (4 per core, at least 8), blocked on
            // a gate the runtime cannot see; the task that opens it is queued last.
            var waiters = Enumerable.Range(0, 4 * Environment.ProcessorCount + 10).Select(_ => ray.Task(SemanticsFunctions.WaitOnGate, gate).Options(zero).Remote()).ToList();
            var opener = ray.Task(SemanticsFunctions.OpenGates, gate, gate).Options(zero).Remote();

            var opened = ray.GetAsync(opener).AsTask();
            Assert.True(await Task.WhenAny(opened, Task.Delay(Deadline)) == opened, "the task that opens the gate did not start while every lease was blocked on it");
            Assert.All(await ray.GetAsync(waiters).WaitAsync(Deadline), Assert.True);
        }
        finally
        {
            Gates.Get(gate).Set();
        }
    }

    [Fact]
    public async Task Tasks_blocking_their_threads_on_actor_calls_all_finish()
    {
        for (var round = 0; round < Rounds; round++)
        {
            await using var ray = await Ray.InitAsync(new RayOptions { NumCpus = 2, ObjectStoreMemory = 0, Namespace = "progress" });
            var counter = ray.Actor(() => new Counter(0)).Remote();
            var tasks = Enumerable.Range(0, 4).Select(_ => ray.Task(SemanticsFunctions.BlockingActorCalls, counter, 20).Remote()).ToList();

            Task<int[]> all = ray.GetAsync(tasks);
            Assert.True(await Task.WhenAny(all, Task.Delay(Deadline)) == all, $"round {round}: 4 tasks on 2 CPUs making 20 blocking actor calls each did not finish: a worker thread stalled");
            Assert.Equal(80, (await all).Max());
            Assert.Equal(80, await counter.Task(c => c.Get()).Remote());
        }
    }

    [Fact]
    public async Task Zero_cpu_tasks_blocked_in_a_get_do_not_keep_the_tasks_they_wait_for_from_starting()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { NumCpus = 2, ObjectStoreMemory = 0, Namespace = "progress" });
        // More parents than the node's cap on concurrent zero-resource leases (4 per core, at least 8): each blocks
        // its thread until its own zero-CPU child, queued behind the other parents, has run.
        var parents = 4 * Environment.ProcessorCount + 10;
        var refs = Enumerable.Range(0, parents)
            .Select(i => ray.Task(SemanticsFunctions.BlockOnZeroCpuChild, i).Options(new TaskOptions { NumCpus = 0 }).Remote())
            .ToList();

        Task<int[]> all = ray.GetAsync(refs);
        Assert.True(await Task.WhenAny(all, Task.Delay(Deadline)) == all, $"{parents} zero-CPU tasks blocked on their children did not finish: the blocked ones held every lease");
        Assert.Equal(Enumerable.Range(0, parents).Select(i => i * i), await all);
    }
}

/// <summary>Tests that start their own node (Ray.InitAsync): one at a time, never beside a shared fixture's node.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FreshNodeCollection
{
    public const string Name = "fresh node per test";
}
