using System.Collections.Concurrent;
using OrleansRay.Execution;
using Xunit;

namespace OrleansRay.Tests.Semantics;

/// <summary>Work a driver is about to run itself is held aside by the pool without waking a worker thread
/// (<see cref="WorkerPool.PostDeferred"/>), and is never lost: it goes to the pool ahead of anything queued after it,
/// when a waiter will not run it, or when its timer finds it waited a whole tick; and it is dropped once claimed.</summary>
/// <remarks>The timer runs on a manual clock here: a tick happens only when the test fires it, so no assertion depends
/// on how fast the machine is.</remarks>
public sealed class WorkerPoolDeferredTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_deferred_item_goes_to_the_pool_ahead_of_anything_queued_after_it()
    {
        var time = new ManualTimers();
        var pool = new WorkerPool("deferred-order", 1, 1, time);
        try
        {
            using var hold = new ManualResetEventSlim();
            using var held = new ManualResetEventSlim();
            pool.Post(_ => { held.Set(); hold.Wait(Deadline); }, null);
            Assert.True(held.Wait(Deadline), "the pool's one thread is held");

            var order = new ConcurrentQueue<string>();
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            pool.PostDeferred(_ => order.Enqueue("deferred"), null);
            Assert.True(pool.HasDeferred);
            pool.Post(_ => { order.Enqueue("after"); done.SetResult(); }, null);
            Assert.False(pool.HasDeferred); // queued by the item behind it, not by the (never fired) timer

            hold.Set();
            await done.Task.WaitAsync(Deadline);
            Assert.Equal(["deferred", "after"], order.ToArray());
        }
        finally
        {
            pool.Dispose();
        }
    }

    [Fact]
    public async Task A_deferred_item_nobody_claims_runs_on_a_worker_thread_after_a_whole_tick_and_deferring_stops_for_a_while()
    {
        var time = new ManualTimers();
        var pool = new WorkerPool("deferred-timer", 1, 1, time);
        try
        {
            var ran = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            pool.PostDeferred(_ => ran.SetResult(WorkerPool.IsWorkerThread), null);
            Assert.True(pool.HasDeferred);

            time.Fire(); // the first tick sees it deferred since less than a tick: it stays
            Assert.True(pool.HasDeferred);
            Assert.False(ran.Task.IsCompleted);

            time.Fire(); // a whole tick later: to the pool
            Assert.False(pool.HasDeferred);
            Assert.True(await ran.Task.WaitAsync(Deadline), "it runs on a worker thread");

            // The caller did not come for it: for the next 100 ms (the manual clock does not move) nothing is deferred.
            var next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            pool.PostDeferred(_ => next.SetResult(), null);
            Assert.False(pool.HasDeferred);
            await next.Task.WaitAsync(Deadline);

            time.Advance(TimeSpan.FromMilliseconds(101));
            pool.PostDeferred(_ => { }, null);
            Assert.True(pool.HasDeferred); // deferring again
        }
        finally
        {
            pool.Dispose();
        }
    }

    [Fact]
    public async Task The_tick_lengthens_while_the_caller_keeps_coming_and_starts_short_again_after_an_item_waited_a_whole_tick()
    {
        var time = new ManualTimers();
        var pool = new WorkerPool("deferred-tick", 1, 1, time);
        try
        {
            var shortest = DeferredPost.MinTickPeriod;
            var longest = DeferredPost.MaxTickPeriod;
            Assert.True(longest > shortest * 4, "the doubling below needs room");

            // A caller that comes for each item: every tick finds nothing to queue, and the next one comes later.
            var first = new object();
            pool.PostDeferred(_ => { }, first);
            Assert.Equal([shortest], time.StartedPeriods);
            pool.ForgetDeferred(first);
            time.Fire(); // no item
            Assert.Equal([shortest * 2], time.StartedPeriods);

            var second = new object();
            pool.PostDeferred(_ => { }, second);
            time.Fire(); // an item deferred since the last tick: its caller has until the next
            Assert.Equal([shortest * 4], time.StartedPeriods);
            pool.ForgetDeferred(second);
            for (var fired = 0; pool.DeferredTickPeriod < longest; fired++)
            {
                Assert.True(fired < 10, $"the tick reaches the longest by doubling; it stays at {pool.DeferredTickPeriod}");
                time.Fire();
            }

            time.Fire();
            Assert.Equal([longest], time.StartedPeriods); // no longer than the longest
            Assert.Equal(longest, pool.DeferredTickPeriod);

            // One its caller does not come for: queued at the second tick, and the timer stops (nothing is deferred for
            // the next 100 ms)...
            var ran = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            pool.PostDeferred(_ => ran.SetResult(WorkerPool.IsWorkerThread), new object());
            time.Fire();
            Assert.True(pool.HasDeferred);
            time.Fire();
            Assert.False(pool.HasDeferred);
            Assert.True(await ran.Task.WaitAsync(Deadline), "it runs on a worker thread");
            Assert.False(time.AnyStarted);

            // ...and the next item deferred after those 100 ms starts it again at the shortest tick.
            time.Advance(TimeSpan.FromMilliseconds(101));
            var next = new object();
            pool.PostDeferred(_ => { }, next);
            Assert.True(pool.HasDeferred);
            Assert.Equal([shortest], time.StartedPeriods);
            pool.ForgetDeferred(next);

            // With nothing deferred, the timer stops once its ticks add up to the idle time, however long they got.
            var fires = 0;
            while (time.AnyStarted)
            {
                Assert.True(++fires < 200, "the timer stops when nothing is deferred");
                time.Fire();
            }

            Assert.InRange(fires, 10, 30); // 100 ms of ticks: 1 + 2 + 4 + 8 ms, then 8 ms each (not 100 ticks of 1 ms)
        }
        finally
        {
            pool.Dispose();
        }
    }

    [Fact]
    public async Task A_claimed_deferred_item_is_dropped_and_one_a_waiter_will_not_run_is_queued_at_once()
    {
        var time = new ManualTimers();
        var pool = new WorkerPool("deferred-claim", 1, 1, time);
        try
        {
            var claimed = new object();
            var claimedRan = false;
            pool.PostDeferred(_ => claimedRan = true, claimed);
            pool.ForgetDeferred(new object()); // someone else's claim: it stays
            Assert.True(pool.HasDeferred);
            pool.ForgetDeferred(claimed);
            Assert.False(pool.HasDeferred);
            time.Fire();
            time.Fire();

            var hurried = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            pool.PostDeferred(_ => hurried.SetResult(WorkerPool.IsWorkerThread), null);
            Assert.True(pool.HasDeferred);
            pool.QueueDeferredNow(); // a waiter that does not run it: a get with a timeout, a wait, a task waiting for it
            Assert.False(pool.HasDeferred);
            Assert.True(await hurried.Task.WaitAsync(Deadline));
            Assert.False(claimedRan); // one thread, in order: had it been queued, it would have run first
        }
        finally
        {
            pool.Dispose();
        }
    }

    [Fact]
    public async Task Items_their_callers_claimed_while_queued_start_no_threads_and_real_work_still_gets_one()
    {
        // A driver whose get claims its lone task's item after the item was queued (deferring was off, or the item was
        // hurried), while no worker thread has had a core to take it: the item waits in the queue and will find nothing.
        var pool = new WorkerPool("claimed-queued", 1, 64, new ManualTimers());
        using var hold = new ManualResetEventSlim();
        try
        {
            using var held = new ManualResetEventSlim();
            pool.Post(_ => { held.Set(); hold.Wait(Deadline); }, null);
            Assert.True(held.Wait(Deadline), "the pool's first thread is held");

            var foundNothing = 0;
            for (var i = 0; i < 50; i++)
            {
                var item = new object();
                pool.Post(_ => { Interlocked.Increment(ref foundNothing); WorkerPool.FoundNothing(); }, item);
                pool.ClaimedHere(item);
            }

            // The first claimed item found no spare thread (the first one is held) and started one; the 49 after it
            // were counted out by their claims as they came, so they started none. Counted as items waiting for a
            // thread, they started one each.
            Assert.Equal(2, pool.ThreadCount);

            // Work that blocks still gets a thread of its own: the claims did not count a thread twice.
            using var gate = new ManualResetEventSlim();
            var blockedDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            pool.Post(_ => { gate.Wait(Deadline); blockedDone.SetResult(); }, null);
            pool.Post(_ => gate.Set(), null);
            await blockedDone.Task.WaitAsync(Deadline);
            Assert.True(gate.IsSet, "the item that opens the gate ran on a thread of its own");
            Assert.Equal(3, pool.ThreadCount);
            Assert.Equal(50, Volatile.Read(ref foundNothing));
        }
        finally
        {
            hold.Set();
            pool.Dispose();
        }
    }

    [Fact]
    public async Task A_deferred_item_left_at_dispose_still_runs()
    {
        var time = new ManualTimers();
        var pool = new WorkerPool("deferred-dispose", 1, 1, time);
        var ran = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pool.PostDeferred(_ => ran.SetResult(), null);
        pool.Dispose();
        Assert.False(pool.HasDeferred);
        await ran.Task.WaitAsync(Deadline);
        Assert.True(time.Disposed);
    }
}
