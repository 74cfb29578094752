using OrleansRay.Tests.Actors;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>A node leaves while it runs a driver's tasks and hosts its actor: the tasks run again elsewhere, the actor
/// restarts elsewhere, and so does an actor behind a grain interface. (A SIGKILLed node process is tested in OrleansRay.Cluster.Tests.)</summary>
public sealed class NodeLossTests : IAsyncLifetime
{
    private InProcessCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = await InProcessCluster.StartAsync((2, null), (2, null), (2, null));
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    public static string SlowWhere(int ms)
    {
        Thread.Sleep(ms);
        return RayContext.NodeId.Value;
    }

    [Fact]
    public async Task Tasks_and_actors_of_a_node_that_leaves_move_to_the_others()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        var leaving = _cluster.Nodes[2];
        var leavingId = leaving.NodeId.Value;
        var actor = ray.Actor(() => new Locator())
            .Options(new ActorOptions { MaxRestarts = 1, SchedulingStrategy = SchedulingStrategy.NodeAffinity(leaving.NodeId) })
            .Remote();
        Assert.Equal(leaving.NodeId.Value, await actor.Task(a => a.Where()).Remote());
        var grainActor = await ray.CreateActorAsync<TestGrainActors.ICounterActor>(new ActorOptions { MaxRestarts = 1, SchedulingStrategy = SchedulingStrategy.NodeAffinity(leaving.NodeId) });
        Assert.Equal(5, await grainActor.Add(5));
        Assert.Equal(leaving.NodeId.Value, await grainActor.Node());

        var tasks = Enumerable.Range(0, 300)
            .Select(_ => ray.Task(SlowWhere, 10).Options(new TaskOptions { SchedulingStrategy = SchedulingStrategy.Spread }).Remote())
            .ToList();
        // Leave once some of the leaving node's tasks have run (so some are queued or running there when it goes).
        // (Results travel one-way: a result counts once the driver has it.)
        await Eventually.TrueAsync(async () =>
        {
            var (ready, _) = await ray.WaitAsync(tasks, numReturns: tasks.Count, timeout: TimeSpan.Zero);
            foreach (var done in ready)
            {
                if (await done == leavingId)
                {
                    return true;
                }
            }

            return false;
        }, TimeSpan.FromSeconds(30), "a result from the leaving node reached the driver");
        await _cluster.StopNodeAsync(leaving);

        var where = await ray.GetAsync(tasks, TimeSpan.FromSeconds(60));
        Assert.Equal(300, where.Length);
        Assert.Contains(where, w => w == leavingId);

        var after = await ray.GetAsync(actor.Task(a => a.Where()).Remote(), TimeSpan.FromSeconds(60));
        Assert.NotEqual(leavingId, after);
        Assert.Equal(1, await actor.Task(a => a.Calls()).Remote()); // restarted: its state began anew

        // The actor behind a grain interface restarted on another node too, from a fresh instance.
        Assert.NotEqual(leavingId, await grainActor.Node().WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(1, await grainActor.Increment());
    }

    [Fact]
    public async Task An_object_lost_with_its_node_frees_the_copies_other_nodes_pulled_to_read_it()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        var maker = _cluster.Nodes[2];
        var reader = _cluster.Nodes[1];
        var readerStore = reader.Runtime.Store!.Client;
        const int n = 1_500_000; // 12 MB: stored, not inline
        var ramp = ray.Task(DistributedTests.Ramp, n)
            .Options(new TaskOptions { MaxRetries = 0, SchedulingStrategy = SchedulingStrategy.NodeAffinity(maker.NodeId) })
            .Remote();
        var sum = ray.Task(DistributedTests.Sum, ramp).Options(new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(reader.NodeId) }).Remote();
        Assert.Equal((double)n * (n - 1) / 2, await ray.GetAsync(sum, TimeSpan.FromSeconds(60)));
        var id = OrleansRay.Ownership.LocalObjectStore.ToStoreId(ramp.Id);
        Assert.True(await readerStore.ContainsAsync(id), "the reading node pulled a copy");

        await _cluster.StopNodeAsync(maker);

        // The task has no retries, so the object is lost (Ray frees what is left of a lost object too): the copy the
        // reader pulled is deleted, not left in its store with nothing to free it.
        var lost = await Assert.ThrowsAsync<ObjectLostException>(async () => await ray.GetAsync(ramp, TimeSpan.FromSeconds(60)));
        Assert.Contains("MaxRetries = 0", lost.Message, StringComparison.Ordinal);
        await Eventually.TrueAsync(async () => !await readerStore.ContainsAsync(id), TimeSpan.FromSeconds(30), "the reader's copy of the lost object to be deleted");
    }
}
