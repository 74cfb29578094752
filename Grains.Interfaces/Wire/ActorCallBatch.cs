namespace OrleansRay;

/// <summary>Calls of one caller to one actor, in sequence order; sent as one grain message.</summary>
[GenerateSerializer, Immutable, Alias("orleansray.actorcallbatch")]
public sealed record ActorCallBatch([property: Id(0)] ActorCall[] Calls)
{
    /// <summary>Where results go when the caller is not in the actor's process: the caller's endpoint.</summary>
    [Id(1)] public Grains.INodeEndpoint? ReplyTo { get; init; }
}
