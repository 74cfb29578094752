using OrleansRay.Grains;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.Autoscaling;

/// <summary>The node table leaves out a driver's demands that were computed before the newest node joined: the driver
/// had not yet tried its parked tasks on that node (which may already run them), so the autoscaler must not launch a
/// second node for them. A cluster run once launched two 'accel' nodes for one task that way.</summary>
public sealed class DriverDemandViewTests
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
}
