namespace OrleansRay;

/// <summary>What one node can tell about itself for the dashboard and `status`: task counts, its latest finished tasks,
/// the actors it hosts, its objects and its store. Bounded: at most the number of tasks asked for, and the actors live on
/// the node (plus a bounded tail of dead ones).</summary>
[GenerateSerializer, Immutable, Alias("orleansray.nodedetails")]
public sealed record NodeDetails
{
    [Id(0)] public string Node { get; init; } = string.Empty;
    [Id(1)] public NodeTaskCounts Tasks { get; init; } = new();
    [Id(2)] public TaskRecord[] LatestTasks { get; init; } = Array.Empty<TaskRecord>();
    [Id(3)] public HostedActor[] Actors { get; init; } = Array.Empty<HostedActor>();
    /// <summary>Objects owned by this node's runtime.</summary>
    [Id(4)] public int OwnedObjects { get; init; }
    /// <summary>Bytes of the node process' managed heap (<c>GC.GetTotalMemory(false)</c>): large values live in the
    /// object store, not here, so this stays far below the bytes of the objects a node holds.</summary>
    [Id(5)] public long ManagedHeapBytes { get; init; }
    /// <summary>The node's object store, when it has one and it answered.</summary>
    [Id(6)] public StoreFigures? Store { get; init; }
    [Id(7)] public string? StoreError { get; init; }
    /// <summary>Size of the bounded task event log, and how many events it has seen.</summary>
    [Id(8)] public int EventLogCapacity { get; init; }
    [Id(9)] public long EventsRecorded { get; init; }
    /// <summary>Job code packages loaded on the node now (issue 12: each a job's collectible load context).</summary>
    [Id(10)] public int JobCodeLoaded { get; init; }
    /// <summary>Job load contexts still in the node's memory: the loaded ones, plus unloaded ones the runtime has not
    /// collected yet. Returns to 0 once every job whose code the node ran has ended.</summary>
    [Id(11)] public int JobCodeContexts { get; init; }
}

/// <summary>Task counts of one node: work its scheduler holds now, and totals since it started.</summary>
[GenerateSerializer, Immutable, Alias("orleansray.nodetaskcounts")]
public sealed record NodeTaskCounts
{
    [Id(0)] public long Submitted { get; init; }
    [Id(1)] public int Pending { get; init; }
    [Id(2)] public int WaitingForArgs { get; init; }
    [Id(3)] public int Running { get; init; }
    [Id(4)] public long Finished { get; init; }
    [Id(5)] public long Failed { get; init; }
    /// <summary>Tasks other owners sent here.</summary>
    [Id(6)] public long Received { get; init; }
    /// <summary>Tasks submitted here (counted in <see cref="Submitted"/>) that this node sent to run elsewhere: their
    /// finish counts where they ran, and they are counted there as received.</summary>
    [Id(7)] public long SentElsewhere { get; init; }
}

/// <summary>One finished task.</summary>
[GenerateSerializer, Immutable, Alias("orleansray.taskrecord")]
public sealed record TaskRecord(
    [property: Id(0)] string TaskId,
    [property: Id(1)] string Function,
    [property: Id(2)] string Node,
    [property: Id(3)] DateTimeOffset FinishedAt,
    [property: Id(4)] double DurationMs,
    [property: Id(5)] string? Error);

/// <summary>An actor hosted on a node, with the calls waiting for it.</summary>
[GenerateSerializer, Immutable, Alias("orleansray.hostedactor")]
public sealed record HostedActor(
    [property: Id(0)] ActorInfo Info,
    [property: Id(1)] int PendingCalls,
    [property: Id(2)] long CallsRun)
{
    /// <summary>The job it belongs to, by its driver's worker id (for a detached actor, the job that created it: it does not
    /// end with that job); empty for an actor no job created.</summary>
    [Id(3)] public WorkerId Owner { get; init; }
}

/// <summary>An object store's figures.</summary>
[GenerateSerializer, Immutable, Alias("orleansray.storefigures")]
public sealed record StoreFigures(
    [property: Id(0)] long Capacity,
    [property: Id(1)] long UsedBytes,
    [property: Id(2)] int ObjectCount,
    [property: Id(3)] long SpilledBytes,
    [property: Id(4)] long SpillCount,
    [property: Id(5)] long RestoreCount,
    [property: Id(6)] long PullBytesReceived,
    [property: Id(7)] long TransferBytesSent);
