namespace OrleansRay;

/// <summary>A task its owner sends to another node: everything needed to run it there. Object arguments are resolved
/// by the owner before sending, so every argument travels as a value.</summary>
[GenerateSerializer, Immutable, Alias("orleansray.remotetask")]
public sealed record RemoteTask
{
    [Id(0)] public TaskId Id { get; init; }
    [Id(1)] public FunctionDescriptor Function { get; init; } = null!;
    [Id(2)] public TaskArg[] Args { get; init; } = Array.Empty<TaskArg>();
    [Id(3)] public ResourceSet Resources { get; init; } = ResourceSet.Empty;
    /// <summary>Attempts made before this one (the node continues the count for exception retries).</summary>
    [Id(4)] public int PreviousAttempts { get; init; }
    [Id(5)] public int MaxRetries { get; init; }
    [Id(6)] public bool RetryExceptions { get; init; }
    [Id(7)] public string? Name { get; init; }
    /// <summary>The task's return object (owned by the sender).</summary>
    [Id(8)] public ObjectId ReturnId { get; init; }
    /// <summary>A task with several returns (Ray's <c>num_returns</c>): the ids of returns 2..N, in order (return 1 is
    /// <see cref="ReturnId"/>); null for a task with one return.</summary>
    [Id(9)] public ObjectId[]? OtherReturnIds { get; init; }
    /// <summary>The namespace of the job that submitted the task (Ray: a task runs in its job's namespace): named actors
    /// the task creates or looks up are in it. Null: the running node's default namespace.</summary>
    [Id(10)] public string? Namespace { get; init; }
    /// <summary>The job the task belongs to, by its driver's worker id (the job table's <c>Driver</c>; a task submitted by
    /// a task is its parent's job's): when that job ends, the node drops the task if it has not started and cancels it
    /// by force if it runs (Ray). Empty: no job's (work of a detached actor, which outlives its job).</summary>
    [Id(11)] public WorkerId JobDriver { get; init; }
    /// <summary>The sender, which owns the task's return objects, is <see cref="JobDriver"/> itself (the driver submitted
    /// the task, not a task or actor of its job): a node that stores a large result of it records it as the driver's,
    /// and deletes it when that job ends (Ray frees the objects of an owner that died).</summary>
    [Id(12)] public bool DriverOwned { get; init; }
    /// <summary>Ray's <c>retry_exceptions</c> as a list of exception classes: full names of the types whose exceptions
    /// (or those deriving from them, compared by the full names of the thrown type and its base types) run the task
    /// again while <see cref="MaxRetries"/> lasts; null: <see cref="RetryExceptions"/> decides alone. Never set with it.</summary>
    [Id(13)] public string[]? RetryExceptionTypes { get; init; }
    /// <summary>The placement group the task runs in (its <see cref="PlacementHint.Group"/> at the owner), for its code
    /// and its children; null when it runs in none. The owner has placed it already: the node only passes it on.</summary>
    [Id(14)] public OrleansRay.Grains.PlacementGroupMembership? Group { get; init; }
    /// <summary>The environment variables the task's runtime env sets over those its job's code package carries (Ray's
    /// task-level <c>env_vars</c>, merged with those it inherited from the work that submitted it; for a job whose driver
    /// ships no code package, the job's own variables too, sent with each task); null for none (almost every task). The
    /// node runs the task, and the work it submits, with them.</summary>
    [Id(15)] public Dictionary<string, string>? EnvVars { get; init; }
    /// <summary>A streaming generator task (Ray's <c>num_returns="streaming"</c>): each item it yields is reported to the
    /// owner as a <see cref="RemoteResult"/> with <see cref="RemoteResult.GeneratorItem"/> set, then its return object
    /// completes with the item count. Ids from 20 on: see docs/adr/0013-streaming-generators.md.</summary>
    [Id(20)] public bool Streaming { get; init; }
    /// <summary>For <see cref="Streaming"/>: items it may produce ahead of the consumer (0: no bound).</summary>
    [Id(21)] public int GeneratorBackpressure { get; init; }
}

/// <summary>The outcome of a task or actor call, sent to the owner of its return object.</summary>
[GenerateSerializer, Immutable, Alias("orleansray.remoteresult")]
public sealed record RemoteResult
{
    /// <summary>The return object.</summary>
    [Id(0)] public ObjectId ObjectId { get; init; }
    /// <summary>The task, for task results (empty for actor calls).</summary>
    [Id(1)] public TaskId TaskId { get; init; }
    [Id(2)] public object? Value { get; init; }
    [Id(3)] public RayError? Error { get; init; }
    /// <summary>The node that ran it.</summary>
    [Id(4)] public string Node { get; init; } = string.Empty;
    /// <summary>How long the run took, in ticks (the owner's task event log).</summary>
    [Id(5)] public long DurationTicks { get; init; }
    /// <summary>For <see cref="Grains.INodeEndpoint.WaitObjectAsync"/>: not ready yet, ask again.</summary>
    [Id(6)] public bool Pending { get; init; }
    /// <summary>Work with several returns (Ray's <c>num_returns</c>): returns 2..N, each with its own id and value (a
    /// large one as where it is stored); <see cref="Value"/> is return 1. Null for work with one return, and when
    /// <see cref="Error"/> is set (an error fails every return).</summary>
    [Id(7)] public ReturnValue[]? OtherReturns { get; init; }
    /// <summary>An item of a streaming generator task <see cref="TaskId"/>: its index + 1 (0: not an item).</summary>
    [Id(20)] public int GeneratorItem { get; init; }
    /// <summary>The end of a streaming generator task: the items it reported before it (the owner waits for them, since
    /// the end may overtake items still travelling).</summary>
    [Id(21)] public int GeneratorCount { get; init; }
}

/// <summary>One of several returns of a task or actor call, as it travels back to its owner.</summary>
[GenerateSerializer, Immutable, Alias("orleansray.returnvalue")]
public sealed record ReturnValue(
    [property: Id(0)] ObjectId Id,
    [property: Id(1)] object? Value);

/// <summary>One placement-group bundle to reserve on a node: its shape, and the names its resources take while
/// reserved (Ray's renaming: tasks of the bundle ask for "CPU_group_{index}_{pg}" instead of "CPU").</summary>
[GenerateSerializer, Immutable, Alias("orleansray.bundlereservation")]
public sealed record BundleReservation(
    [property: Id(0)] Guid PlacementGroupId,
    [property: Id(1)] int Index,
    [property: Id(2)] ResourceSet Shape);

/// <summary>Where a task or actor should run: Ray's scheduling strategies, as they travel.</summary>
[GenerateSerializer, Immutable, Alias("orleansray.placementhint")]
public sealed record PlacementHint
{
    public static readonly PlacementHint Default = new();

    public static readonly PlacementHint Spread = new() { Kind = PlacementKind.Spread };

    [Id(0)] public PlacementKind Kind { get; init; }
    /// <summary>NodeAffinity: the node.</summary>
    [Id(1)] public NodeId Node { get; init; }
    /// <summary>NodeAffinity: fall back to the default policy when the node is gone or cannot take it.</summary>
    [Id(2)] public bool Soft { get; init; }
    /// <summary>PlacementGroup: the group and bundle (-1: any bundle).</summary>
    [Id(3)] public Guid PlacementGroupId { get; init; }
    [Id(4)] public int BundleIndex { get; init; } = -1;
    /// <summary>PlacementGroup: the group as the work's code sees it, and whether its children go into it too; null for
    /// every other kind.</summary>
    [Id(5)] public OrleansRay.Grains.PlacementGroupMembership? Group { get; init; }
}

/// <summary>The kinds of <see cref="PlacementHint"/>.</summary>
public enum PlacementKind
{
    Default = 0,
    Spread = 1,
    NodeAffinity = 2,
    PlacementGroup = 3,
}
