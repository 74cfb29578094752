using OrleansRay.Internal;
using OrleansRay.Tests.Actors;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.Placement;

/// <summary>A hard node affinity to a node that joined after the submitter's last view of the cluster (its id came from
/// a fresher read of the node table, as <c>ray.NodesAsync()</c> gives): the task waits for the next view instead of
/// failing as for a dead node, and the actor is created there instead of wherever the default policy put it (it then
/// asked a node for resources it never had). The driver's refresh loop is stopped so that its view is stale for sure;
/// the test refreshes it by hand.</summary>
public sealed class UnseenNodeAffinityTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private InProcessCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await InProcessCluster.StartAsync((2, null));

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    public static string WhereAmI() => RayContext.NodeId.Value;

    [Fact]
    public async Task Tasks_and_actors_pinned_to_a_node_the_view_has_not_seen_yet_go_there_once_it_is_seen()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        var runtime = IRayRuntimeAccess.Of(ray);
        var view = runtime.Cluster.Refresh;
        await view.StopAsync();
        // The stopped loop was also the driver's heartbeat to the node table: without one its job ends after 15 s.
        using var stop = new CancellationTokenSource();
        var heartbeat = HeartbeatAsync(runtime, stop.Token);
        var late = await _cluster.AddNodeAsync(1, new Dictionary<string, double> { ["late"] = 1 });
        Assert.False(view.HasSeen(late.NodeId), "the driver's view should not have seen the node that joined after its loop stopped");

        var pinned = new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(late.NodeId) };
        var task = ray.Task(WhereAmI).Options(pinned).Remote();
        var classActor = ray.Actor(() => new Locator())
            .Options(new ActorOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(late.NodeId), Resources = { ["late"] = 1 } })
            .Remote();
        var where = classActor.Task(a => a.Where()).Remote();

        // The next view shows the node: the task and the actor's call go there.
        await view.RefreshAsync();
        Assert.Equal(late.NodeId.Value, await ray.GetAsync(task, Deadline));
        Assert.Equal(late.NodeId.Value, await ray.GetAsync(where, Deadline));
        await stop.CancelAsync();
        await heartbeat;
    }

    /// <summary>Reports the driver to the node table each second as its refresh loop would, without updating its view.</summary>
    private static async Task HeartbeatAsync(Node.NodeRuntime runtime, CancellationToken stop)
    {
        var table = runtime.GrainFactory.GetGrain<Grains.INodeTableGrain>(0);
        while (!stop.IsCancellationRequested)
        {
            await table.ExchangeAsync(null, runtime.WorkerId, []);
            await Task.Delay(TimeSpan.FromSeconds(1), stop).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    [Fact]
    public async Task A_task_pinned_to_a_node_no_view_ever_shows_still_fails_saying_the_node_is_not_alive()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        var nowhere = new NodeId("127.0.0.1:1@1");
        var task = ray.Task(WhereAmI).Options(new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(nowhere) }).Remote();

        var error = await Assert.ThrowsAsync<NodeDiedException>(async () => await ray.GetAsync(task, Deadline));
        Assert.Contains("(NodeAffinity, soft: false), which is not alive; take a live node's id from ray.NodesAsync(), or pass soft: true", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_task_pinned_to_a_live_node_that_has_less_than_it_asks_fails_saying_what_the_node_has()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        var node = (await ray.NodesAsync()).First(n => n.IsAlive);
        var task = ray.Task(WhereAmI)
            .Options(new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(node.Id), NumCpus = 0, Resources = { ["gadget"] = 1 } })
            .Remote();

        var error = await Assert.ThrowsAsync<NodeDiedException>(async () => await ray.GetAsync(task, Deadline));
        Assert.Contains($"must run on node {node.Id} (NodeAffinity, soft: false), which has ", error.Message, StringComparison.Ordinal);
        Assert.Contains("in all, less than the {\"gadget\": 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("ask for less, or pass soft: true", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_actor_pinned_to_a_node_that_is_not_alive_is_created_dead_saying_why_and_runs_nowhere()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        var nowhere = new NodeId("127.0.0.1:1@1");
        var actor = ray.Actor(() => new Locator())
            .Options(new ActorOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(nowhere) })
            .Remote();

        var error = await Assert.ThrowsAsync<ActorDiedException>(async () => await ray.GetAsync(actor.Task(a => a.Where()).Remote(), Deadline));
        Assert.Contains("NodeAffinity, soft: false", error.Message, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1:1@1", error.Message, StringComparison.Ordinal);

        // Soft: the same pin falls back to a live node.
        var soft = ray.Actor(() => new Locator())
            .Options(new ActorOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(nowhere, soft: true) })
            .Remote();
        Assert.Equal(_cluster.Nodes[0].NodeId.Value, await ray.GetAsync(soft.Task(a => a.Where()).Remote(), Deadline));
    }

    [Fact]
    public void NodeAffinity_refuses_an_id_that_names_no_node()
    {
        var made = Assert.Throws<ArgumentException>(() => SchedulingStrategy.NodeAffinity(new NodeId("not-a-node")));
        Assert.Contains("'not-a-node' is not a node id", made.Message, StringComparison.Ordinal);
        // RayContext.NodeId where no Ray runs.
        var empty = Assert.Throws<ArgumentException>(() => SchedulingStrategy.NodeAffinity(default));
        Assert.Contains("ray.NodesAsync()", empty.Message, StringComparison.Ordinal);
    }
}
