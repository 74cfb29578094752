using System.Globalization;
using OrleansRay.ObjectStore;

namespace OrleansRay.Cluster.Tests.Fixtures;

/// <summary>Direct clients of the nodes' object store processes (each node's store listens on
/// <c>&lt;session&gt;/store/&lt;port&gt;/store.sock</c>), so a test can see what each store holds.</summary>
internal static class NodeStores
{
    /// <summary>Connects to <paramref name="node"/>'s store; dispose the client when done.</summary>
    public static async Task<ObjectStoreClient> ConnectAsync(LocalCluster cluster, ClusterNode node)
    {
        var tail = Path.Combine("store", node.Port.ToString(CultureInfo.InvariantCulture), "store.sock");
        var socket = Directory.EnumerateFiles(cluster.TempDirectory, "store.sock", SearchOption.AllDirectories)
            .FirstOrDefault(f => f.EndsWith(tail, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"No store socket of {node} under {cluster.TempDirectory}.");
        return await ObjectStoreClient.ConnectAsync(socket);
    }

    /// <summary>The store id of an object (the same 16 bytes as its ObjectId).</summary>
    public static StoreObjectId IdOf(ObjectRef objectRef) => new(objectRef.Id.Hi, objectRef.Id.Lo);
}
