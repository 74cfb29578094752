using System.Collections.Concurrent;
using OrleansRay.Execution;
using Xunit;

namespace OrleansRay.Tests.Semantics;

/// <summary>The deferred-item tick's timers (<see cref="TickThreadTimeProvider"/>) run their callbacks on a thread of
/// their own, fire once per arming or once per period, can be changed from inside their own callback, and stop for
/// good when disposed.</summary>
public sealed class TickThreadTimeProviderTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_one_shot_timer_fires_once_per_arming_on_its_own_thread()
    {
        var fired = new ConcurrentQueue<(int Count, string? Thread)>();
        var count = 0;
        var next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var timer = TickThreadTimeProvider.Instance.CreateTimer(_ =>
        {
            fired.Enqueue((Interlocked.Increment(ref count), Thread.CurrentThread.Name));
            next.TrySetResult();
        }, null, TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan);

        for (var arming = 1; arming <= 3; arming++)
        {
            await next.Task.WaitAsync(Deadline);
            // A one-shot that repeated would have counted past this arming by the time the next one is made.
            Assert.Equal(arming, Volatile.Read(ref count));
            next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (arming < 3)
            {
                Assert.True(timer.Change(TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan));
            }
        }

        Assert.All(fired, f => Assert.Equal("orleansray-tick", f.Thread));
        Assert.Equal([1, 2, 3], fired.Select(f => f.Count));
    }

    [Fact]
    public async Task A_periodic_timer_keeps_firing_takes_a_new_period_from_its_own_callback_and_refuses_changes_once_disposed()
    {
        var count = 0;
        var changedInside = false;
        var tenFired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        ITimer? timer = null;
        using var created = timer = TickThreadTimeProvider.Instance.CreateTimer(_ =>
        {
            var n = Interlocked.Increment(ref count);
            if (n == 5)
            {
                changedInside = timer!.Change(TimeSpan.FromMilliseconds(2), TimeSpan.FromMilliseconds(2)); // as DeferredPost's tick does
            }

            if (n == 10)
            {
                tenFired.TrySetResult();
            }
        }, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        Assert.True(timer.Change(TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(1)));

        await tenFired.Task.WaitAsync(Deadline);
        Assert.True(changedInside);

        timer.Dispose();
        Assert.False(timer.Change(TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(1)));
    }

    [Fact]
    public async Task A_change_wakes_a_timer_waiting_for_a_later_due_time()
    {
        var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var timer = TickThreadTimeProvider.Instance.CreateTimer(_ => fired.TrySetResult(), null, TimeSpan.FromHours(1), Timeout.InfiniteTimeSpan);

        // Its thread now waits an hour; brought forward, the timer must fire within the deadline, not in an hour.
        Assert.True(timer.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan));
        await fired.Task.WaitAsync(Deadline);
    }
}
