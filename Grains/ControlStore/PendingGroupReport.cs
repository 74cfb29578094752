using OrleansRay.Grains;

namespace OrleansRay.ControlStore;

/// <summary>A placement group's entry in the node table's list of pending groups (what <c>status</c> shows as "pending
/// placement groups"): written every round while the group waits, cleared once when it is placed or removed.</summary>
/// <remarks>Owned by one <see cref="PlacementGroupGrain"/> activation and called on its scheduler.</remarks>
internal sealed class PendingGroupReport
{
    private readonly Guid _group;
    private bool _reported;

    public PendingGroupReport(Guid group)
    {
        _group = group;
    }

    /// <summary>True when the live nodes could not hold all of <paramref name="spec"/>'s bundles even if nothing else
    /// used them: no amount of waiting helps until a node joins (Ray calls such a demand infeasible).</summary>
    public static bool IsInfeasible(PlacementGroupSpec spec, IEnumerable<NodeStatus> live) =>
        IsInfeasible(spec, live.Select(r => (r.NodeId, r.Total)).ToList());

    /// <summary><see cref="IsInfeasible(PlacementGroupSpec, IEnumerable{NodeStatus})"/> over the live nodes' ids and
    /// totals: also what a driver's or node's runtime judges a group it creates by (its infeasible warning).</summary>
    public static bool IsInfeasible(PlacementGroupSpec spec, IReadOnlyList<(NodeId Id, ResourceSet Total)> live)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var empty = live.Select(r => new BundlePlanner.NodeRoom(r.Id, r.Total, r.Total)).ToList();
        var all = spec.Bundles.Select((shape, index) => (index, shape)).ToList();
        return BundlePlanner.Plan(spec.Strategy, all, new Dictionary<int, NodeId>(), empty).Plan is null;
    }

    /// <summary>Reports the group pending (<paramref name="pending"/> not null) or, once, not pending any more. A failed
    /// report is not retried here: a pending group reports again next round, and a stale entry expires.</summary>
    public async Task ReportAsync(IGrainFactory grains, PendingPlacementGroupInfo? pending)
    {
        if (pending is null && !_reported)
        {
            return;
        }

        try
        {
            await grains.GetGrain<INodeTableGrain>(0).ReportPendingGroupAsync(_group, pending);
            _reported = pending is not null;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The node table was unreachable this round; the entry expires by itself if the group is not pending.
        }
    }
}
