using System.Diagnostics;
using OrleansRay.Execution;
using Xunit;

namespace OrleansRay.Tests.Semantics;

/// <summary>A worker pool grows a thread for each item that finds no spare one (work that blocks never stalls what is
/// queued behind it) and shrinks back to its minimum once the added threads have waited their idle timeout for work,
/// as Ray's worker pool kills workers idle beyond its soft limit.</summary>
public sealed class WorkerPoolRetireTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Threads_added_for_blocking_work_leave_after_their_idle_timeout_and_the_pool_grows_again_when_needed()
    {
        var pool = new WorkerPool("retire", 1, 8, new ManualTimers(), idleThreadTimeout: TimeSpan.FromMilliseconds(200));
        using var gate = new ManualResetEventSlim();
        using var secondGate = new ManualResetEventSlim();
        try
        {
            using var started = new CountdownEvent(4);
            for (var i = 0; i < 4; i++)
            {
                pool.Post(_ => { started.Signal(); gate.Wait(Deadline); }, null);
            }

            Assert.True(started.Wait(Deadline), "each blocking item got a thread of its own");
            Assert.Equal(4, pool.ThreadCount);

            gate.Set();
            await Conditions.WaitForAsync(() => pool.ThreadCount == 1, Deadline, "the three threads added for the blocking items leave");

            // Still a thread for each item that blocks: the ones that left counted themselves out.
            // The count is read while both items hold a thread: read after they finish, the grown thread may already
            // have waited out its 200 ms and left (the test's continuation can be that late on a loaded machine).
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var threadsWhileBothRan = 0;
            pool.Post(_ => { secondGate.Wait(Deadline); done.SetResult(); }, null);
            pool.Post(_ => { Volatile.Write(ref threadsWhileBothRan, pool.ThreadCount); secondGate.Set(); }, null);
            await done.Task.WaitAsync(Deadline);
            Assert.True(secondGate.IsSet, "the item that opens the gate ran on a thread of its own");
            Assert.Equal(2, Volatile.Read(ref threadsWhileBothRan));
        }
        finally
        {
            gate.Set();
            secondGate.Set();
            pool.Dispose();
        }
    }

    [Fact]
    public async Task Threads_grown_by_a_burst_leave_under_a_light_steady_load_too()
    {
        // Woken first in, first out, each of the grown threads got an item in turn and none ever waited its whole idle
        // timeout: 8 threads and an item every 10 ms wake each one about every 80 ms, against a timeout of 1 s.
        var pool = new WorkerPool("retire-trickle", 1, 16, new ManualTimers(), idleThreadTimeout: TimeSpan.FromSeconds(1));
        using var gate = new ManualResetEventSlim();
        using var stop = new ManualResetEventSlim();
        Task? load = null;
        try
        {
            using var started = new CountdownEvent(8);
            for (var i = 0; i < 8; i++)
            {
                pool.Post(_ => { started.Signal(); gate.Wait(Deadline); }, null);
            }

            Assert.True(started.Wait(Deadline), "each blocking item got a thread of its own");
            Assert.Equal(8, pool.ThreadCount);
            gate.Set();

            // The load, on a thread of its own so that nothing the test's own scheduler does pauses it: one short item
            // every 10 ms until the test stops it.
            var ran = 0;
            load = Task.Factory.StartNew(() =>
            {
                while (!stop.Wait(10))
                {
                    pool.Post(_ => Interlocked.Increment(ref ran), null);
                }
            }, TaskCreationOptions.LongRunning);

            var clock = Stopwatch.StartNew();
            while (pool.ThreadCount > 2)
            {
                Assert.True(clock.Elapsed < Deadline, $"still {pool.ThreadCount} threads after {Deadline.TotalSeconds:F0} s of an item every 10 ms");
                await Task.Delay(50);
            }

            Assert.True(Volatile.Read(ref ran) > 0, "the load ran");
        }
        finally
        {
            stop.Set();
            gate.Set();
            if (load is not null)
            {
                await load.WaitAsync(Deadline);
            }

            pool.Dispose();
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void A_pool_whose_idle_timeout_is_not_positive_is_refused(int milliseconds)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new WorkerPool("retire-bad", 1, 2, new ManualTimers(), idleThreadTimeout: TimeSpan.FromMilliseconds(milliseconds)));
        Assert.Equal("idleThreadTimeout", ex.ParamName);
    }
}
