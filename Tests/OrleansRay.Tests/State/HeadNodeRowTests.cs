using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>The state API's <c>is_head_node</c> marks the node started as head (<c>orleansray start --head</c>, an
/// embedded node), even when the control store lives on an older worker, as after a head restarted on a PostgreSQL
/// cluster; among silos an application hosts (none started as head) it marks the control store's node. Each test
/// starts its own cluster and driver. <c>ray.NodesAsync()</c> marks the same node (<see cref="NodeInfo.IsHeadNode"/>).</summary>
public sealed class HeadNodeRowTests
{
    private const string HeadMarker = "started-as-head";

    [Fact]
    public async Task The_node_started_as_head_is_marked_though_the_control_store_lives_on_an_older_node()
    {
        // The first node is the oldest (the control store's); the second plays a head restarted after it.
        await using var cluster = await InProcessCluster.StartAsync(
            node => node.StartedAsHead = node.Resources.ContainsKey(HeadMarker),
            (1, null), (1, new Dictionary<string, double> { [HeadMarker] = 1 }));
        await using var ray = await Ray.InitAsync(new RayOptions { Address = cluster.Address, AuthToken = cluster.AuthToken });
        var (older, head) = (cluster.Nodes[0].NodeId.Value, cluster.Nodes[1].NodeId.Value);

        var rows = await ListedAsync(ray);

        Assert.True(rows[head], "the node started as head is not marked");
        Assert.False(rows[older], "the older node holding the control store is marked as the head");
    }

    [Fact]
    public async Task Among_hosted_silos_the_control_stores_node_is_the_head()
    {
        await using var cluster = await InProcessCluster.StartAsync((1, null), (1, null));
        await using var ray = await Ray.InitAsync(new RayOptions { Address = cluster.Address, AuthToken = cluster.AuthToken });

        var rows = await ListedAsync(ray);

        Assert.True(rows[cluster.Nodes[0].NodeId.Value]);
        Assert.False(rows[cluster.Nodes[1].NodeId.Value]);
    }

    private static async Task<Dictionary<string, bool>> ListedAsync(IRay ray)
    {
        Dictionary<string, bool> rows = [];
        await Eventually.TrueAsync(async () =>
        {
            rows = (await ray.State.ListNodesAsync()).Rows.Where(r => r.State == "ALIVE").ToDictionary(r => r.NodeId, r => r.IsHeadNode);
            return rows.Count == 2;
        }, TimeSpan.FromSeconds(30), "both nodes are listed alive");

        // ray.NodesAsync() marks the same node (Ray's ray.nodes() entries carry is_head_node too).
        var nodes = (await ray.NodesAsync()).Where(n => n.IsAlive).ToDictionary(n => n.Id.Value!, n => n.IsHeadNode);
        Assert.Equal(rows.OrderBy(r => r.Key), nodes.OrderBy(n => n.Key));
        return rows;
    }
}
