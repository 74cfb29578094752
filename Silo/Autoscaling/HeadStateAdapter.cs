using OrleansRay.Grains;
using OrleansRay.Silo.Autoscaling.Providers;

namespace OrleansRay.Silo.Autoscaling;

/// <summary>Remembers since when each node has been idle (<see cref="HeadStateAdapter.IsIdle"/>), across the autoscaler's rounds:
/// the node table only says whether a node is idle now.</summary>
internal sealed class IdleTracker
{
    private readonly Dictionary<string, DateTimeOffset> _idleSince = new(StringComparer.Ordinal);

    /// <summary>Records node <paramref name="nodeId"/> as idle or busy at <paramref name="now"/>; returns since when it
    /// has been idle (null: busy). <paramref name="reportedIdle"/> is how long the node itself says it has been idle
    /// (<see cref="NodeStatus.IdleMilliseconds"/>: it sees work between two rounds that sampling misses); when given, it
    /// decides, and sampling is only for rows without it.</summary>
    public DateTimeOffset? Observe(string nodeId, bool idle, DateTimeOffset now, TimeSpan? reportedIdle = null)
    {
        if (!idle)
        {
            _idleSince.Remove(nodeId);
            return null;
        }

        if (reportedIdle is { } reported)
        {
            return _idleSince[nodeId] = now - reported;
        }

        if (!_idleSince.TryGetValue(nodeId, out var since))
        {
            _idleSince[nodeId] = since = now;
        }

        return since;
    }

    /// <summary>Forgets nodes not in <paramref name="live"/> (gone from the cluster).</summary>
    public void KeepOnly(IEnumerable<string> live)
    {
        var keep = live.ToHashSet(StringComparer.Ordinal);
        foreach (var gone in _idleSince.Keys.Where(k => !keep.Contains(k)).ToList())
        {
            _idleSince.Remove(gone);
        }
    }
}

/// <summary>Builds the planner's input from what the head has: the node table (<see cref="NodeStatus"/> rows, their
/// demands), connected drivers' demands (<see cref="INodeTableGrain.DriverDemandsAsync"/>) — the same data
/// <c>orleansray status</c> shows — plus the provider's nodes, pending placement groups and request_resources bundles.</summary>
/// <remarks>A node is idle only when it runs no task, hosts no actor, holds no primary object copy, has all its resources
/// available and reports no demand (<see cref="IsIdle"/>). Which placement groups are pending is not in the node table:
/// the caller passes them.</remarks>
internal static class HeadStateAdapter
{
    /// <summary>The planner input at <paramref name="now"/>.</summary>
    /// <param name="config">The cluster config.</param>
    /// <param name="statuses">The node table's rows with their liveness settled against membership, as
    /// <c>ClusterSnapshot.BuildAsync</c> settles them (dead ones are skipped).</param>
    /// <param name="driverDemands">Connected drivers' pending demands.</param>
    /// <param name="providerNodes">The provider's nodes: a launching one, or a running one that has not joined the node
    /// table yet, counts as launching; so does a failed one for <paramref name="failureBackoff"/> after it failed (a
    /// failure is not retried in a tight loop), or until it is terminated when the provider does not know when it failed.</param>
    /// <param name="pendingGroups">Pending placement groups.</param>
    /// <param name="requested">Ray's request_resources bundles.</param>
    /// <param name="headNodeId">The head's node id.</param>
    /// <param name="idle">The idle times, carried across rounds.</param>
    /// <param name="failureBackoff">How long a failed node still holds its launch slot.</param>
    /// <param name="now">The round's instant.</param>
    public static PlannerInput ToPlannerInput(
        ClusterConfig config,
        IReadOnlyList<NodeStatus> statuses,
        IReadOnlyList<ResourceDemandInfo> driverDemands,
        IReadOnlyList<ProviderNode> providerNodes,
        IReadOnlyList<PlacementGroupSpec> pendingGroups,
        IReadOnlyList<ResourceSet> requested,
        string headNodeId,
        IdleTracker idle,
        TimeSpan failureBackoff,
        DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(statuses);
        ArgumentNullException.ThrowIfNull(driverDemands);
        ArgumentNullException.ThrowIfNull(providerNodes);
        ArgumentNullException.ThrowIfNull(pendingGroups);
        ArgumentNullException.ThrowIfNull(requested);
        ArgumentNullException.ThrowIfNull(idle);
        var live = statuses.Where(s => s.IsAlive).ToList();
        idle.KeepOnly(live.Select(s => s.NodeId.Value ?? string.Empty));
        var joined = new HashSet<ProviderNode>();
        var nodes = live.Select(s =>
        {
            var id = s.NodeId.Value ?? string.Empty;
            var provided = providerNodes.FirstOrDefault(p => p.State != ProviderNodeState.Failed && Matches(p, s));
            if (provided is not null)
            {
                joined.Add(provided);
            }

            var isIdle = IsIdle(s);
            return new ClusterNode(
                id,
                provided?.NodeType,
                IsHead: id == headNodeId,
                s.Total,
                s.Available,
                idle.Observe(id, isIdle, now, s.IdleMilliseconds is { } ms ? TimeSpan.FromMilliseconds(ms) : null),
                HasRunningWork: s.RunningTaskCount > 0 || s.WaitingTaskCount > 0 || !s.Available.Equals(s.Total) || s.Demands.Count > 0,
                HasActors: s.ActorCount > 0,
                HasPrimaryObjects: s.PrimaryObjectCount > 0 || s.OwnedObjectCount > 0);
        }).ToList();
        var launching = providerNodes
            .Where(p => !joined.Contains(p))
            .Where(p => p.State != ProviderNodeState.Failed || (!p.FailedAfterJoining && (p.Since is null || now - p.Since.Value < failureBackoff)))
            .Select(p => new LaunchingNode(p.Id, p.NodeType))
            .ToList();
        var demands = live.SelectMany(s => s.Demands).Concat(driverDemands)
            .GroupBy(d => (d.Shape, d.IsActor))
            .Select(g => new PendingDemand(g.Key.Shape, g.Sum(d => d.Count), g.Key.IsActor))
            .ToList();
        var groups = pendingGroups
            .Select((g, i) => new PendingPlacementGroup(g.Name ?? $"#{i + 1}", (PlacementStrategy)(int)g.Strategy, g.Bundles))
            .ToList();
        return new PlannerInput(WorkerNodeType.From(config), AutoscalerLimits.From(config), nodes, launching, demands, groups, requested, now);
    }

    /// <summary>True when node table row <paramref name="status"/> is idle: no task executing (0-resource ones included),
    /// no actor alive, no primary object copy and no owned object (inline values included) that would be lost with it, no
    /// task waiting for its arguments, all its resources available, and no pending
    /// demand. A node hosting a single 0-CPU actor, or holding one primary copy, is busy.</summary>
    internal static bool IsIdle(NodeStatus status) =>
        status.RunningTaskCount == 0
        && status.ActorCount == 0
        && status.PrimaryObjectCount == 0
        && status.OwnedObjectCount == 0
        && status.WaitingTaskCount == 0
        && status.Available.Equals(status.Total)
        && status.Demands.Count == 0;

    /// <summary>True when the provider's node is node table row <paramref name="status"/>: its node id (the silo address,
    /// "HOST:PORT@GENERATION") or its address is at the provider's HOST:PORT, or at its HOST when the provider knows no
    /// port (a pod's IP).</summary>
    internal static bool Matches(ProviderNode node, NodeStatus status)
    {
        if (node.NodeAddress is not { Length: > 0 } expected)
        {
            return false;
        }

        var id = status.NodeId.Value ?? string.Empty;
        if (string.Equals(expected, status.Address, StringComparison.OrdinalIgnoreCase) || id.StartsWith(expected + "@", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return !expected.Contains(':', StringComparison.Ordinal)
            && (id.StartsWith(expected + ":", StringComparison.OrdinalIgnoreCase) || status.Address.StartsWith(expected + ":", StringComparison.OrdinalIgnoreCase));
    }
}
