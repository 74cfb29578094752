using OrleansRay.Grains;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.Autoscaling;

/// <summary>The node table leaves out a driver's or a node's demands that were computed before the newest node joined:
/// the reporter had not yet tried its parked or queued tasks on that node (which may already run them), so the
/// autoscaler must not launch a second node for them. A cluster run once launched two 'accel' nodes for one task that
/// way.</summary>
public sealed class DemandViewTests
{
    private static readonly ResourceDemandInfo[] AccelDemand =
        [new(ResourceSet.From(new Dictionary<string, double> { ["CPU"] = 1, ["accel"] = 1 }), 1, IsInfeasible: false, IsActor: false)];

    [Fact]
    public async Task A_drivers_demands_computed_before_a_node_joined_count_again_only_from_a_report_made_after_it_saw_the_node()
    {
        await using var cluster = await InProcessCluster.StartAsync((1, null));
        var table = cluster.Nodes[0].Runtime.GrainFactory.GetGrain<INodeTableGrain>(0);
        var driver = WorkerId.NewId();

        // A driver's first report had no view of the cluster; from its second on, its demands count.
        await table.ExchangeAsync(null, driver, AccelDemand);
        Assert.Empty(await table.DriverDemandsAsync());
        await table.ExchangeAsync(null, driver, AccelDemand);
        Assert.Equal(AccelDemand, await table.DriverDemandsAsync());

        // A node joins (its own report makes its row). The driver's last report was made before it could know.
        var joined = await cluster.AddNodeAsync(1, new Dictionary<string, double> { ["accel"] = 1 });
        await Eventually.TrueAsync(
            async () => (await table.ListAsync()).Any(r => r.NodeId == joined.NodeId && r.IsAlive),
            TimeSpan.FromSeconds(30),
            "the new node's row is in the table");
        Assert.Empty(await table.DriverDemandsAsync());

        // The next report was computed from the rows read before the join (still left out); the one after that from rows
        // that had the node: the demand is real, and counts.
        await table.ExchangeAsync(null, driver, AccelDemand);
        Assert.Empty(await table.DriverDemandsAsync());
        await table.ExchangeAsync(null, driver, AccelDemand);
        Assert.Equal(AccelDemand, await table.DriverDemandsAsync());

        // A report without demands clears them.
        await table.ExchangeAsync(null, driver, []);
        Assert.Empty(await table.DriverDemandsAsync());
    }

    [Fact]
    public async Task A_nodes_demands_computed_before_a_node_joined_are_shown_again_only_from_a_row_made_after_it_saw_the_node()
    {
        await using var cluster = await InProcessCluster.StartAsync((1, null));
        var table = cluster.Nodes[0].Runtime.GrainFactory.GetGrain<INodeTableGrain>(0);
        // A node that reports only when this test says so (no silo: its row stays alive for 10 s after each report).
        var reporter = WorkerId.NewId();
        var id = new NodeId("test-node-" + reporter);
        NodeStatus Row() => new(id, "test-node", IsAlive: true, Cpu(1), ResourceSet.Empty, AccelDemand, DateTimeOffset.UtcNow);
        async Task<IReadOnlyList<ResourceDemandInfo>> ShownAsync() => (await table.ListAsync()).Single(r => r.NodeId == id).Demands;

        // A node's first row had no view of the cluster; from its second on, its demands show.
        await table.ExchangeAsync(Row(), reporter, []);
        Assert.Empty(await ShownAsync());
        await table.ExchangeAsync(Row(), reporter, []);
        Assert.Equal(AccelDemand, await ShownAsync());

        // A node joins. The reporter's row was made before it could know: its demands are left out. While the node
        // starts, the reporter keeps its row fresh with reports (not exchanges: they keep the view of its last one).
        var joining = cluster.AddNodeAsync(1, new Dictionary<string, double> { ["accel"] = 1 });
        while (!joining.IsCompleted)
        {
            await table.ReportAsync(Row());
            await Task.WhenAny(joining, Task.Delay(TimeSpan.FromSeconds(1)));
        }

        var joined = await joining;
        await Eventually.TrueAsync(
            async () =>
            {
                await table.ReportAsync(Row());
                return (await table.ListAsync()).Any(r => r.NodeId == joined.NodeId && r.IsAlive);
            },
            TimeSpan.FromSeconds(30),
            "the new node's row is in the table");
        Assert.True((await table.ListAsync()).Single(r => r.NodeId == id).IsAlive, "the reporter's row is still alive");
        Assert.Empty(await ShownAsync());

        // A report outside the refresh loop keeps the view its row had (from before the join).
        await table.ReportAsync(Row());
        Assert.Empty(await ShownAsync());

        // The next exchange's row was computed from the rows read before the join (still left out); the one after that
        // from rows that had the node: the demand is real, and shows.
        await table.ExchangeAsync(Row(), reporter, []);
        Assert.Empty(await ShownAsync());
        await table.ExchangeAsync(Row(), reporter, []);
        Assert.Equal(AccelDemand, await ShownAsync());
    }

    [Fact]
    public async Task Ray_NodesAsync_on_a_node_reports_its_row_without_counting_as_an_exchange()
    {
        await using var cluster = await InProcessCluster.StartAsync((1, null));
        var node = cluster.Nodes[0];
        var table = node.Runtime.GrainFactory.GetGrain<INodeTableGrain>(0);
        async Task<IReadOnlyList<ResourceDemandInfo>> ShownAsync() => (await table.ListAsync()).Single(r => r.NodeId == node.NodeId).Demands;

        // Node 0 owns a task no node can run (it needs 'accel'): its row shows that demand once its refresh loop has
        // exchanged twice. The task is the driver's job's (submitted by its task): the driver stays connected to the end,
        // since a job's end cancels its tasks, and the demand with them.
        await using var driver = await Ray.InitAsync(new RayOptions { Address = cluster.Address, AuthToken = cluster.AuthToken });
        var onNode = new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(node.NodeId) };
        Assert.Equal("submitted", await driver.GetAsync(driver.Task(SubmitAccelTask).Options(onNode).Remote(), TimeSpan.FromSeconds(30)));

        await Eventually.TrueAsync(async () => (await ShownAsync()).Any(d => d.Shape.Items.Any(i => i.Key == "accel")), TimeSpan.FromSeconds(30), "node 0's row shows its accel demand");

        // From now on node 0 exchanges only when this test says so. A node joins: node 0's row was made before it could
        // know, so its demands are left out. ray.NodesAsync on node 0 keeps its row fresh meanwhile.
        await node.Runtime.Cluster.Refresh.StopAsync();
        var joining = cluster.AddNodeAsync(1);
        while (!joining.IsCompleted)
        {
            await ClusterView.NodesAsync(node.Runtime);
            await Task.WhenAny(joining, Task.Delay(TimeSpan.FromSeconds(1)));
        }

        var joined = await joining;
        await Eventually.TrueAsync(
            async () =>
            {
                var rows = await ClusterView.NodesAsync(node.Runtime);
                return rows.Any(r => r.NodeId == joined.NodeId && r.IsAlive);
            },
            TimeSpan.FromSeconds(30),
            "node 0 lists the new node");
        Assert.Empty(await ShownAsync());

        // Three more reads of the view through ray.NodesAsync: reports, not exchanges (two exchanges would show them).
        for (var i = 0; i < 3; i++)
        {
            var rows = await ClusterView.NodesAsync(node.Runtime);
            Assert.Contains(rows, r => r.NodeId == node.NodeId && r.Demands.Count > 0); // its own row, live, has them
        }

        Assert.Empty(await ShownAsync());

        // Two exchanges of its refresh (the rows read at the first include the new node): now they show.
        await node.Runtime.Cluster.Refresh.RefreshAsync();
        await node.Runtime.Cluster.Refresh.RefreshAsync();
        Assert.Contains(await ShownAsync(), d => d.Shape.Items.Any(i => i.Key == "accel"));
    }

    /// <summary>Submits a task that needs an 'accel' no node has, owned by the node this runs on, and returns at once.</summary>
    public static string SubmitAccelTask()
    {
        var ray = Ray.Current;
        _ = ray.Task(AccelWork).Options(new TaskOptions { NumCpus = 0, Resources = { ["accel"] = 1 } }).Remote();
        return "submitted";
    }

    public static int AccelWork() => 1;

    private static ResourceSet Cpu(double count) => ResourceSet.From(new Dictionary<string, double> { ["CPU"] = count });
}
