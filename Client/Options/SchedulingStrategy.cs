namespace OrleansRay;

/// <summary>Where a task or actor may run.</summary>
public abstract record SchedulingStrategy
{
    private protected SchedulingStrategy()
    {
    }

    /// <summary>Ray's hybrid policy: the submitting node while it has room, then the feasible node with the most room.</summary>
    public static SchedulingStrategy Default { get; } = new DefaultStrategy();

    /// <summary>Ray's SPREAD: placed round robin over the feasible nodes (and the submitting node when it is one).</summary>
    /// <remarks>A preference, as in Ray, not a pin: a task still waiting in the queue of a node that has fallen behind
    /// spills back to a node with room (Ray's spillback of queued work), so under uneven load the counts per node drift
    /// from an even split. Use <see cref="NodeAffinity"/> or a placement group to pin work to nodes.</remarks>
    public static SchedulingStrategy Spread { get; } = new SpreadStrategy();

    /// <summary>Run on <paramref name="nodeId"/>; with <paramref name="soft"/> true, elsewhere if that node is gone or could
    /// never fit the work (its total resources are too small), while a node that is only busy keeps it queued there until
    /// it frees (Ray's <c>NodeAffinitySchedulingStrategy</c>, whose <c>soft</c> spills only on those grounds too). Hard (the default): a task for a node that is not alive fails with
    /// <see cref="NodeDiedException"/>, and an actor is created dead (its calls throw <see cref="ActorDiedException"/>
    /// saying why), as Ray's unschedulable tasks and actors.</summary>
    /// <param name="nodeId">A node's id, ADDRESS:PORT@GENERATION, as <c>ray.NodesAsync()</c>, <c>RayContext.NodeId</c> in a
    /// task and <c>orleansray list nodes</c> give it.</param>
    /// <param name="soft">False (the default): only that node; true: that node while it is alive and could fit the work,
    /// else Ray's default policy.</param>
    /// <exception cref="ArgumentException"><paramref name="nodeId"/> is empty (<c>RayContext.NodeId</c> is where no Ray
    /// runs) or is not a node id.</exception>
    public static SchedulingStrategy NodeAffinity(NodeId nodeId, bool soft = false)
    {
        if (string.IsNullOrWhiteSpace(nodeId.Value))
        {
            throw new ArgumentException("NodeAffinity needs a node's id; this one is empty (RayContext.NodeId is, where no Ray runs). Take one from ray.NodesAsync().", nameof(nodeId));
        }

        if (!IsNodeId(nodeId))
        {
            throw new ArgumentException($"'{nodeId.Value}' is not a node id (ADDRESS:PORT@GENERATION, as ray.NodesAsync() and `orleansray list nodes` show them).", nameof(nodeId));
        }

        return new NodeAffinityStrategy(nodeId, soft);
    }

    /// <summary>A node's id (a silo address), or a connected driver's (<c>driver:…</c>, its <c>RayContext.NodeId</c>: a
    /// driver runs no work, so a hard affinity to it fails as to a node that is not alive, and a soft one falls back, as
    /// code ported from Ray that pins to its own node expects).</summary>
    private static bool IsNodeId(NodeId id) =>
        id.Value.StartsWith("driver:", StringComparison.Ordinal) || id.TryGetSilo() is not null;

    /// <summary>The strategy as it travels with a task or actor.</summary>
    internal virtual PlacementHint ToHint() => PlacementHint.Default;

    internal sealed record DefaultStrategy : SchedulingStrategy;

    internal sealed record SpreadStrategy : SchedulingStrategy
    {
        internal override PlacementHint ToHint() => PlacementHint.Spread;
    }

    /// <summary>Node affinity.</summary>
    public sealed record NodeAffinityStrategy(NodeId NodeId, bool Soft) : SchedulingStrategy
    {
        internal override PlacementHint ToHint() => new() { Kind = PlacementKind.NodeAffinity, Node = NodeId, Soft = Soft };
    }
}
