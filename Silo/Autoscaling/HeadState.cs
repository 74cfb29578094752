using Orleans.Runtime;
using OrleansRay.Grains;

namespace OrleansRay.Silo.Autoscaling;

/// <summary>What one autoscaler round reads from the head: the node table's rows with their liveness settled against
/// membership, connected drivers' demands, pending placement groups and Ray's <c>request_resources</c> bundles.</summary>
internal sealed record HeadStateSnapshot(
    IReadOnlyList<NodeStatus> Nodes,
    IReadOnlyList<ResourceDemandInfo> DriverDemands,
    IReadOnlyList<PlacementGroupSpec> PendingGroups,
    IReadOnlyList<ResourceSet> Requested);

/// <summary>Where the autoscaler reads the cluster's state and reports its rounds (the head's grains; a fake in tests).</summary>
internal interface IHeadState
{
    /// <summary>The cluster's state now.</summary>
    Task<HeadStateSnapshot> ReadAsync(CancellationToken cancellationToken);

    /// <summary>The node table's rows now, liveness settled (re-read just before a node is removed).</summary>
    Task<IReadOnlyList<NodeStatus>> ReadNodesAsync(CancellationToken cancellationToken);

    /// <summary>Records the round for <c>status</c> and the dashboard (<see cref="IAutoscalerGrain.ReportAsync"/>).</summary>
    Task ReportAsync(AutoscalerStatus status, CancellationToken cancellationToken);

    /// <summary>Ray's DrainNode before a node is removed: asks node <paramref name="row"/> to drain if it is idle
    /// (<see cref="INodeEndpoint.DrainIfIdleAsync"/>), waits until every runtime's view shows it draining, and asks
    /// again to confirm nothing reached it meanwhile. Null when the node may be removed now; otherwise why not.</summary>
    Task<string?> DrainAsync(NodeStatus row, CancellationToken cancellationToken);
}

/// <summary>The head's grains as <see cref="IHeadState"/>: the node table, membership and the autoscaler grain.</summary>
internal sealed class GrainHeadState(IGrainFactory grains) : IHeadState
{
    /// <inheritdoc/>
    public async Task<HeadStateSnapshot> ReadAsync(CancellationToken cancellationToken)
    {
        var table = grains.GetGrain<INodeTableGrain>(0);
        var driverDemands = table.DriverDemandsAsync().WaitAsync(cancellationToken);
        var groups = table.PendingGroupsAsync().WaitAsync(cancellationToken);
        var requested = grains.GetGrain<IAutoscalerGrain>(0).RequestedResourcesAsync().WaitAsync(cancellationToken);
        var nodes = await ReadNodesAsync(cancellationToken).ConfigureAwait(false);
        return new HeadStateSnapshot(
            nodes,
            await driverDemands.ConfigureAwait(false),
            (await groups.ConfigureAwait(false)).Select(g => g.Spec).ToList(),
            await requested.ConfigureAwait(false));
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<NodeStatus>> ReadNodesAsync(CancellationToken cancellationToken)
    {
        var rows = grains.GetGrain<INodeTableGrain>(0).ListAsync().WaitAsync(cancellationToken);
        var membership = await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: false).WaitAsync(cancellationToken).ConfigureAwait(false);
        // Settled as ClusterSnapshot.BuildAsync settles them: a row is alive only while membership has its silo active.
        var silos = membership.ToDictionary(m => m.Key.ToParsableString(), m => m.Value, StringComparer.Ordinal);
        return (await rows.ConfigureAwait(false))
            .Select(r => r with { IsAlive = r.IsAlive && (!silos.TryGetValue(r.NodeId.Value ?? string.Empty, out var s) || s == SiloStatus.Active) })
            .ToList();
    }

    /// <summary>How long a draining row takes to reach every runtime's view: the head's table has it on the node's next
    /// exchange, the others on their next one (each every <see cref="Placement.ClusterScheduler.RefreshPeriod"/>).</summary>
    internal static readonly TimeSpan DrainPropagation = 3 * Placement.ClusterScheduler.RefreshPeriod;

    /// <inheritdoc/>
    public async Task<string?> DrainAsync(NodeStatus row, CancellationToken cancellationToken)
    {
        if (row.Endpoint is not { } endpoint)
        {
            return "its row has no endpoint to ask";
        }

        try
        {
            if (await endpoint.DrainIfIdleAsync(confirm: false).WaitAsync(cancellationToken).ConfigureAwait(false) is { } busy)
            {
                return busy;
            }

            await Task.Delay(DrainPropagation, cancellationToken).ConfigureAwait(false);
            return await endpoint.DrainIfIdleAsync(confirm: true).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not (OperationCanceledException or OutOfMemoryException))
        {
            return $"it did not answer the drain ({ex.Message})";
        }
    }

    /// <inheritdoc/>
    public Task ReportAsync(AutoscalerStatus status, CancellationToken cancellationToken) =>
        grains.GetGrain<IAutoscalerGrain>(0).ReportAsync(status).WaitAsync(cancellationToken);
}
