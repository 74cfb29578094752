namespace OrleansRay;

/// <summary>One actor method call, stamped with its caller and the caller's sequence number (Ray's ordering rule).</summary>
[GenerateSerializer, Immutable, Alias("orleansray.actorcall")]
public sealed record ActorCall
{
    [Id(0)] public WorkerId Caller { get; init; }
    [Id(1)] public long Sequence { get; init; }
    [Id(2)] public ObjectId ReturnId { get; init; }
    [Id(3)] public FunctionDescriptor Method { get; init; } = null!;
    [Id(4)] public TaskArg[] Args { get; init; } = Array.Empty<TaskArg>();
    [Id(5)] public WorkerId Owner { get; init; }
    /// <summary>A placeholder that only keeps the caller's sequence contiguous (the call failed at the caller, e.g. an
    /// argument failed): the host skips it.</summary>
    [Id(6)] public bool Skip { get; init; }
    /// <summary>The concurrency group the call runs in; null for the actor's default group.</summary>
    [Id(7)] public string? ConcurrencyGroup { get; init; }
    /// <summary>A method with several returns (Ray's <c>num_returns</c>): the ids of returns 2..N, in order (return 1 is
    /// <see cref="ReturnId"/>); null for a method with one return.</summary>
    [Id(8)] public ObjectId[]? OtherReturnIds { get; init; }
    /// <summary>A streaming generator call (Ray's actor generator, a method returning <c>IAsyncEnumerable&lt;T&gt;</c>):
    /// each item goes to the owner as a <see cref="RemoteResult"/> with <see cref="RemoteResult.GeneratorItem"/> set (the
    /// generator's id is <see cref="ReturnId"/>'s bits), then <see cref="ReturnId"/> completes with the item count.</summary>
    [Id(9)] public bool Streaming { get; init; }
    /// <summary>For <see cref="Streaming"/>: items it may produce ahead of the consumer (0: no bound).</summary>
    [Id(10)] public int GeneratorBackpressure { get; init; }
    /// <summary>Times this call was sent before (Ray's actor task retries: re-sent to the restarted actor after the node
    /// that had accepted it died); 0 for the first send.</summary>
    [Id(11)] public int Attempt { get; init; }
}
