using OrleansRay.Cluster.Tests.Fixtures;

namespace OrleansRay.Cluster.Tests.Drivers;

/// <summary>Connected drivers for the tests: <c>Ray.InitAsync(new RayOptions { Address = "127.0.0.1:port" })</c>.</summary>
internal static class Driver
{
    public static Task<IRay> ConnectAsync(LocalCluster cluster) =>
        Ray.InitAsync(new RayOptions { Address = cluster.Address, AuthToken = cluster.AuthToken });

    /// <summary>Ids of the alive nodes as the driver sees them.</summary>
    public static async Task<HashSet<string>> AliveNodeIdsAsync(IRay ray) =>
        (await ray.NodesAsync()).Where(n => n.IsAlive).Select(n => n.Id.Value).ToHashSet(StringComparer.Ordinal);

    /// <summary>The id the driver knows <paramref name="node"/> by.</summary>
    public static async Task<NodeId> IdOfAsync(IRay ray, ClusterNode node)
    {
        var nodes = await ray.NodesAsync();
        return nodes.Single(n => n.IsAlive && node.Owns(n.Id.Value)).Id;
    }
}
