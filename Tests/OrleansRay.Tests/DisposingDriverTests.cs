using OrleansRay.Tests.Actors;
using OrleansRay.Tests.Fixtures;
using OrleansRay.Tests.Functions;
using Xunit;
using static OrleansRay.Tests.Functions.TestFunctions;

namespace OrleansRay.Tests;

/// <summary>A driver whose <c>DisposeAsync</c> has begun (its job's actors are being killed) refuses new work at once,
/// as it does once disposed: an actor created then would escape the kill, and a read then would report the kill as the
/// actor's own death.</summary>
public sealed class DisposingDriverTests
{
    private const string ShutDown = "The OrleansRay node has shut down.";

    [Fact]
    public async Task A_driver_refuses_new_work_from_the_moment_its_disposal_begins()
    {
        var ray = await Ray.InitAsync(new RayOptions { NumCpus = 1, Namespace = "disposing-driver" });
        var counter = ray.Actor(() => new Counter(0)).Remote();
        Assert.Equal(1, await ray.GetAsync(counter.Task(c => c.Increment()).Remote(), TimeSpan.FromSeconds(30)));
        var read = ray.Task(Square, 3).Remote();
        await ray.WaitAsync([read], timeout: TimeSpan.FromSeconds(30));

        // Not awaited yet: the disposal is under way (it kills the counter, ends the job, then stops the node).
        var disposing = ray.DisposeAsync();
        try
        {
            Assert.Equal(ShutDown, Assert.Throws<ObjectDisposedException>(() => ray.Task(Square, 2).Remote()).Message);
            Assert.Equal(ShutDown, Assert.Throws<ObjectDisposedException>(() => ray.Actor(() => new Counter(0)).Remote()).Message);
            Assert.Equal(ShutDown, Assert.Throws<ObjectDisposedException>(() => counter.Task(c => c.Increment()).Remote()).Message);
            Assert.Equal(ShutDown, (await Assert.ThrowsAsync<ObjectDisposedException>(async () => await ray.GetAsync(read))).Message);
            Assert.Equal(ShutDown, (await Assert.ThrowsAsync<ObjectDisposedException>(() => ray.WaitAsync([read]))).Message);
            Assert.Equal(ShutDown, (await Assert.ThrowsAsync<ObjectDisposedException>(() => ray.State.ListActorsAsync())).Message);
        }
        finally
        {
            await disposing;
        }
    }

    [Fact]
    public async Task A_wait_for_a_pending_placement_group_ends_with_the_driver_and_calls_no_shutting_down_cluster()
    {
        var ray = await Ray.InitAsync(new RayOptions { NumCpus = 1, Namespace = "disposing-driver-group" });
        var pg = await ray.CreatePlacementGroupAsync([new Bundle { ["CPU"] = 100 }]); // more than the node: pending for good
        var ready = pg.ReadyAsync();
        var waited = pg.WaitAsync(Timeout.InfiniteTimeSpan);
        await Eventually.TrueAsync(async () => (await ray.PendingDemandsAsync()).Any(d => d.IsPlacementGroup), TimeSpan.FromSeconds(30), "the group is pending");
        using (var mine = new CancellationTokenSource())
        {
            var cancelled = pg.ReadyAsync(mine.Token);
            await mine.CancelAsync();
            var stopped = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
            Assert.Equal(mine.Token, stopped.CancellationToken); // the caller's token, not the one linked to the driver's disposal
        }

        await ray.DisposeAsync();

        // Before, the next poll reached the stopping silo (Orleans logged "Failed to address message ... shutting down" and
        // Polly its retries) and the wait failed with Orleans' SiloUnavailableException. A poll already in flight when the
        // disposal begins may still meet the stopping silo, so the log is not asserted; the waits' ends are.
        Assert.Equal(ShutDown, (await Assert.ThrowsAsync<ObjectDisposedException>(() => ready)).Message);
        Assert.Equal(ShutDown, (await Assert.ThrowsAsync<ObjectDisposedException>(() => waited)).Message);
    }

    [Fact]
    public async Task Gets_and_waits_still_waiting_when_the_driver_is_disposed_end_as_every_later_call_does()
    {
        var ray = await Ray.InitAsync(new RayOptions { NumCpus = 1, Namespace = "disposing-driver-reads" });
        var gate = $"disposing-reads-{Guid.NewGuid():N}";
        var running = ray.Task(RunUntilCancelled, gate).Remote();
        Assert.True(Gates.Get(gate + ".started").Wait(TimeSpan.FromSeconds(30)), "the task started");
        var queued = ray.Task(RunUntilCancelled, gate + ".queued").Remote(); // behind it on the node's one CPU

        var one = ray.GetAsync(running).AsTask();
        var awaited = AwaitAsync(queued);
        var many = ray.GetAsync([running, queued]);
        var waited = ray.WaitAsync([running, queued], numReturns: 2);

        // A call to one of the driver's actors, which its disposal kills before the node stops.
        var sleeper = ray.Actor(() => new Actors.Sleeper()).Options(new ActorOptions { NumCpus = 0 }).Remote();
        var call = sleeper.Task((s, g) => s.BlockUntil(g), gate + ".actor").Remote();
        Assert.True(Gates.Get(gate + ".actor.blocked").Wait(TimeSpan.FromSeconds(30)), "the actor call started");
        var callRead = ray.GetAsync(call).AsTask();
        var callWaited = ray.WaitAsync([call]);
        Assert.False(one.IsCompleted || awaited.IsCompleted || many.IsCompleted || waited.IsCompleted || callRead.IsCompleted || callWaited.IsCompleted, "nothing was ready yet");

        try
        {
            await ray.DisposeAsync();
        }
        finally
        {
            Gates.Get(gate + ".actor").Set(); // its thread is not stopped by the kill
        }

        // Before, the reads failed with ObjectLostException ("the node that owned this object shut down") or, for the
        // actor's call, with the ActorDiedException of the kill, and the waits answered the refs as ready.
        Assert.Equal(ShutDown, (await Assert.ThrowsAsync<ObjectDisposedException>(() => one)).Message);
        Assert.Equal(ShutDown, (await Assert.ThrowsAsync<ObjectDisposedException>(() => awaited)).Message);
        Assert.Equal(ShutDown, (await Assert.ThrowsAsync<ObjectDisposedException>(() => many)).Message);
        Assert.Equal(ShutDown, (await Assert.ThrowsAsync<ObjectDisposedException>(() => waited)).Message);
        Assert.Equal(ShutDown, (await Assert.ThrowsAsync<ObjectDisposedException>(() => callRead)).Message);
        Assert.Equal(ShutDown, (await Assert.ThrowsAsync<ObjectDisposedException>(() => callWaited)).Message);

        static async Task<string> AwaitAsync(ObjectRef<string> objectRef) => await objectRef;
    }

    [Fact]
    public async Task A_live_IRay_reading_what_another_owned_when_that_one_is_disposed_during_the_read_finds_it_lost()
    {
        await using var alive = await Ray.InitAsync(new RayOptions { NumCpus = 1, Namespace = "disposing-driver-foreign" });
        var gone = await Ray.InitAsync(new RayOptions { NumCpus = 1, Namespace = "disposing-driver-foreign-owner" });
        var gate = $"disposing-foreign-{Guid.NewGuid():N}";
        var running = gone.Task(RunUntilCancelled, gate).Remote();
        Assert.True(Gates.Get(gate + ".started").Wait(TimeSpan.FromSeconds(30)), "the task started");
        var read = alive.GetAsync(running).AsTask();

        await gone.DisposeAsync();

        // The reader is alive: the object's owner is what shut down (ObjectLostException, as the README says), not the
        // reader's own node (ObjectDisposedException).
        await Assert.ThrowsAsync<ObjectLostException>(() => read);
    }
}
