namespace OrleansRay;

/// <summary>A node's entry in the node table: its resources now, and its pending demands.</summary>
[GenerateSerializer, Immutable, Alias("orleansray.nodestatus")]
public sealed record NodeStatus(
    [property: Id(0)] NodeId NodeId,
    [property: Id(1)] string Address,
    [property: Id(2)] bool IsAlive,
    [property: Id(3)] ResourceSet Total,
    [property: Id(4)] ResourceSet Available,
    [property: Id(5)] IReadOnlyList<ResourceDemandInfo> Demands,
    [property: Id(6)] DateTimeOffset ReportedAt)
{
    /// <summary>The node's endpoint: where other nodes and drivers send it work (null in rows of older reports).</summary>
    [Id(7)] public Grains.INodeEndpoint? Endpoint { get; init; }

    /// <summary>The node's gateway, "address:port" (null when unknown): a connected driver finds its node by it.</summary>
    [Id(8)] public string? Gateway { get; init; }

    /// <summary>The node's object store: its Unix socket (null when it has none, or none that other processes may
    /// use), its peer-transfer endpoint, and the machine it runs on; a driver on that machine maps the store through
    /// the socket, zero-copy.</summary>
    [Id(9)] public NodeStoreInfo? Store { get; init; }

    /// <summary>Actors alive on the node now (their instances live here). The autoscaler keeps a node that
    /// hosts actors.</summary>
    [Id(10)] public int ActorCount { get; init; }

    /// <summary>Objects whose primary copy is in this node's store (lost if the node goes). The autoscaler never
    /// removes a node that holds primary copies.</summary>
    [Id(11)] public int PrimaryObjectCount { get; init; }

    /// <summary>Tasks executing on the node now (0-resource ones included, which <see cref="Available"/> does not show).</summary>
    [Id(12)] public int RunningTaskCount { get; init; }

    /// <summary>Objects the node's runtime owns (Ray's ownership: values put or returned by tasks that ran here, and
    /// the results of tasks they submitted, inline ones included), as entries in its object table. They die with the
    /// node, and every ref to them elsewhere with them: the autoscaler keeps a node that owns objects.</summary>
    [Id(13)] public int OwnedObjectCount { get; init; }

    /// <summary>Tasks the node owns that wait for their object arguments before they can be queued (Ray's
    /// waiting-for-dependencies state). The autoscaler keeps a node with waiting tasks.</summary>
    [Id(14)] public int WaitingTaskCount { get; init; }

    /// <summary>The node agreed to be removed (Ray's DrainNode: the autoscaler asked it while it was idle): placement
    /// sends no new task or actor here. Work that still reaches it (sent from a view older than this row) is taken, and
    /// ends the drain; a drain also ends by itself after 30 s without the node being removed.</summary>
    [Id(15)] public bool IsDraining { get; init; }

    /// <summary>How long the node has been idle by its own account (Ray's <c>idle_duration_ms</c>), in milliseconds: 0
    /// while it runs, queues or hosts anything, and since the last task it finished, however short, so work between two
    /// reports counts; null in rows of older nodes (the autoscaler then samples the rows).</summary>
    [Id(16)] public long? IdleMilliseconds { get; init; }

    /// <summary>The node's task channel, "address:port": where owners send it tasks over a direct connection (ADR 0025);
    /// null in rows of older nodes, and when the node has none (owners then send through Orleans messaging).</summary>
    [Id(17)] public string? TaskChannel { get; init; }

    /// <summary>The node was started as its cluster's head (<c>orleansray start --head</c>, or an embedded node): the
    /// state API's <c>is_head_node</c> marks it, also after a restart that left the control store on an older worker.
    /// False for workers, for silos an application hosts, and in rows of older nodes.</summary>
    [Id(18)] public bool StartedAsHead { get; init; }
}

/// <summary>Where a node's object store is: how local processes connect to it, and where other nodes pull from it.</summary>
[GenerateSerializer, Immutable, Alias("orleansray.nodestoreinfo")]
public sealed record NodeStoreInfo(
    [property: Id(0)] string? SocketPath,
    [property: Id(1)] string TransferEndPoint,
    [property: Id(2)] string Machine);
