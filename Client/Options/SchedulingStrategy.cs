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

    /// <summary>Run on <paramref name="nodeId"/>; with <paramref name="soft"/> true, elsewhere if that node is gone or full.</summary>
    public static SchedulingStrategy NodeAffinity(NodeId nodeId, bool soft = false) => new NodeAffinityStrategy(nodeId, soft);

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
