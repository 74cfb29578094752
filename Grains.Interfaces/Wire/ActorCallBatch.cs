namespace OrleansRay;

/// <summary>Calls of one caller to one actor, in sequence order; sent as one grain message.</summary>
[GenerateSerializer, Immutable, Alias("orleansray.actorcallbatch")]
public sealed record ActorCallBatch([property: Id(0)] ActorCall[] Calls)
{
    /// <summary>Where results go when the caller is not in the actor's process: the caller's endpoint.</summary>
    [Id(1)] public Grains.INodeEndpoint? ReplyTo { get; init; }

    /// <summary>The caller's lowest sequence number whose result it still waits for: every call below it was answered,
    /// cancelled or given up, so the host runs none of them and waits for none. An actor rebuilt on another node starts
    /// this caller's order here, so calls re-sent after its old node died run before the caller's later calls, in order
    /// (Ray's client_processed_up_to).</summary>
    [Id(2)] public long Floor { get; init; }
}
