namespace OrleansRay.Placement;

/// <summary>What the layers above placement hold on this node, reported in its node-table row
/// (<see cref="NodeStatus.ActorCount"/>, <see cref="NodeStatus.PrimaryObjectCount"/>,
/// <see cref="NodeStatus.OwnedObjectCount"/>, <see cref="NodeStatus.IsDraining"/>, <see cref="NodeStatus.IdleMilliseconds"/>):
/// the autoscaler keeps a node that hosts actors, holds primary copies or owns objects, and drains it before removal. Set by the node runtime, so placement reads upward state without
/// calling up a layer.</summary>
internal interface INodeOccupancy
{
    /// <summary>Actors whose instance lives on this node now (being created, alive or restarting; not dead ones).</summary>
    int ActorCount { get; }

    /// <summary>Primary copies in this node's object store (put here by this node's tasks or by a driver through it),
    /// as last read from the store; 0 when the node has no store.</summary>
    int PrimaryObjectCount { get; }

    /// <summary>Entries in this node's runtime's object table: objects it owns (inline values in its memory included),
    /// which die with it.</summary>
    int OwnedObjectCount { get; }

    /// <summary>Milliseconds since this node last ran, queued, hosted or owned anything (Ray's idle_duration_ms).</summary>
    long IdleMilliseconds { get; }

    /// <summary>True while this node drains (the autoscaler is removing it): its row says so, and placement avoids it.</summary>
    bool IsDraining { get; }

    /// <summary>New work was registered on this node (a task to run, an actor to host): a draining node takes it and
    /// stops draining. Call after the work counts (queued, running or hosted), so a drain that checks after can see it.</summary>
    void WorkArrived();
}

/// <summary>Fills a node's row from its <see cref="INodeOccupancy"/>.</summary>
internal static class NodeOccupancyRow
{
    /// <summary><paramref name="status"/> with the actors, primary copies, owned objects, drain state and idle time of
    /// <paramref name="occupancy"/> (0, not draining and no idle time when it is null).</summary>
    public static NodeStatus WithOccupancy(this NodeStatus status, INodeOccupancy? occupancy) => occupancy is null ? status : status with
    {
        ActorCount = occupancy.ActorCount,
        PrimaryObjectCount = occupancy.PrimaryObjectCount,
        OwnedObjectCount = occupancy.OwnedObjectCount,
        IsDraining = occupancy.IsDraining,
        IdleMilliseconds = occupancy.IdleMilliseconds,
    };
}
