namespace OrleansRay;

/// <summary>The order stamp of a call to an actor behind a grain interface, carried in Orleans' request context:
/// who called (one per calling process), the call's sequence number for this actor, and the caller's floor (every
/// call below it has finished or was given up). The actor starts each caller's calls in sequence order, as Ray's
/// actor task submitter does; the floor lets a new activation know where a caller's sequence stands.</summary>
[GenerateSerializer, Immutable, Alias("orleansray.actorcallstamp")]
public sealed record ActorCallStamp(
    [property: Id(0)] Guid Caller,
    [property: Id(1)] long Sequence,
    [property: Id(2)] long Floor)
{
    /// <summary>The request-context key the stamp travels under.</summary>
    public const string Key = "orleansray.order";
}
