using OrleansRay.Execution;
using Xunit;

namespace OrleansRay.Tests.Semantics;

/// <summary>The worker pool's wake-up (<see cref="LifoWake"/>): the thread that began waiting last is woken first, a
/// release nobody waits for is kept for the next wait, and a wait that times out leaves the line.</summary>
public sealed class LifoWakeTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task The_thread_that_began_waiting_last_is_woken_first()
    {
        var wake = new LifoWake();
        var woken = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var waits = new List<Task>();
        try
        {
            foreach (var name in new[] { "first", "second", "third" })
            {
                var expected = waits.Count + 1;
                waits.Add(Task.Factory.StartNew(() =>
                {
                    Assert.True(wake.Wait((int)Deadline.TotalMilliseconds), $"{name} was released");
                    woken.Enqueue(name);
                }, TaskCreationOptions.LongRunning));
                await Conditions.WaitForAsync(() => wake.Waiting == expected, Deadline, $"{name} waits");
            }

            wake.Release();
            await Conditions.WaitForAsync(() => woken.Count == 1, Deadline, "one thread woken");
            Assert.Equal(["third"], woken.ToArray());
            Assert.Equal(2, wake.Waiting);

            // One release at a time: two threads woken together record themselves in whatever order they get a core.
            wake.Release();
            await Conditions.WaitForAsync(() => woken.Count == 2, Deadline, "a second thread woken");
            wake.Release();
            await Task.WhenAll(waits).WaitAsync(Deadline);
            Assert.Equal(["third", "second", "first"], woken.ToArray());
        }
        finally
        {
            wake.Release(3); // nobody left waiting on a failure
        }
    }

    [Fact]
    public void A_release_nobody_waits_for_is_kept_and_a_wait_that_times_out_leaves_the_line()
    {
        var wake = new LifoWake();
        wake.Release(2);
        Assert.True(wake.Wait(0));
        Assert.True(wake.Wait(0));
        Assert.False(wake.Wait(20)); // no release left: it times out
        Assert.Equal(0, wake.Waiting);
    }
}
