using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>The state API's row of a dead node lists its own resources, not the placement-group bundles it held: they
/// left with it (its groups are rescheduled on live nodes), as its live row listed them. Starts its own cluster.</summary>
public sealed class DeadNodeResourcesTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_dead_nodes_row_keeps_its_resources_without_the_bundles_it_held()
    {
        await using var cluster = await InProcessCluster.StartAsync((1, null), (2, new Dictionary<string, double> { ["accel"] = 1 }));
        await using var ray = await Ray.InitAsync(new RayOptions { Address = cluster.Address, AuthToken = cluster.AuthToken, Namespace = "dead-node-rows" });
        var leaving = cluster.Nodes[1];
        var id = leaving.NodeId.Value;
        var group = await ray.CreatePlacementGroupAsync([new Bundle { ["CPU"] = 1, ["accel"] = 1 }], PlacementStrategy.Pack, "on-the-leaving-node");
        await group.ReadyAsync().WaitAsync(Deadline);

        NodeStateRow? row = null;
        await Eventually.TrueAsync(async () =>
        {
            row = (await ray.State.ListNodesAsync()).Rows.SingleOrDefault(r => r.NodeId == id);
            return row?.Resources.Keys.Any(k => k.Contains("_group_", StringComparison.Ordinal)) == true;
        }, Deadline, "the live node's row lists the group's bundle");

        await cluster.StopNodeAsync(leaving);

        await Eventually.TrueAsync(async () =>
        {
            row = (await ray.State.ListNodesAsync()).Rows.SingleOrDefault(r => r.NodeId == id);
            return row?.State == "DEAD";
        }, Deadline, "the stopped node is listed DEAD");
        Assert.Equal(2, row!.Resources["CPU"]);
        Assert.Equal(1, row.Resources["accel"]);
        Assert.DoesNotContain(row.Resources.Keys, k => k.Contains("_group_", StringComparison.Ordinal));
        Assert.DoesNotContain(row.Available.Keys, k => k.Contains("_group_", StringComparison.Ordinal));
        await ray.RemovePlacementGroupAsync(group);
    }
}
