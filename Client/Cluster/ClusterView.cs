using OrleansRay.Grains;
using OrleansRay.Node;

namespace OrleansRay;

/// <summary>Reads the node table; this node's own row is taken live from its scheduler so it is never stale.</summary>
internal static class ClusterView
{
    public static async Task<IReadOnlyList<NodeStatus>> NodesAsync(NodeRuntime runtime)
    {
        var table = runtime.GrainFactory.GetGrain<INodeTableGrain>(0);
        if (!runtime.CanExecute)
        {
            // A connected driver is not a node: it reads the table as it is.
            var all = await ClusterCalls.RunAsync(runtime, table.ListAsync()).ConfigureAwait(false);
            return all.OrderBy(r => r.Address, StringComparer.Ordinal).ToList();
        }

        // A report, not an exchange: the node's scheduler does not act on these rows, so they must not count as the view
        // its next row's demands are computed against (NodeTableGrain.ListAsync).
        var local = LocalStatus(runtime);
        await table.ReportAsync(local).ConfigureAwait(false);
        var rows = await table.ListAsync().ConfigureAwait(false);
        return rows.Select(r => r.NodeId == local.NodeId ? local : r).OrderBy(r => r.Address, StringComparer.Ordinal).ToList();
    }

    public static NodeStatus LocalStatus(NodeRuntime runtime) => runtime.Cluster.LocalStatus();
}
