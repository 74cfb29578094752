namespace OrleansRay;

/// <summary>The order stamp of a call to an actor behind a grain interface, carried in the call's request
/// (<see cref="ActorRequest.Stamp"/>):
/// who called (one per calling process), the call's sequence number for this actor, and the caller's floor (every
/// call below it has finished or was given up). The actor starts each caller's calls in sequence order, as Ray's
/// actor task submitter does; the floor lets a new activation know where a caller's sequence stands.</summary>
/// <remarks>Every call to an actor carries one, so it is kept small on the wire: the type travels as a well-known type id
/// (<see cref="WireTypeId"/>, a few bytes) rather than as its alias's name, which Orleans writes out in every message.</remarks>
[GenerateSerializer, Immutable, Alias("orleansray.actorcallstamp"), Id(WireTypeId)]
public sealed record ActorCallStamp(
    [property: Id(0)] Guid Caller,
    [property: Id(1)] long Sequence,
    [property: Id(2)] long Floor)
{
    /// <summary>The stamp's well-known Orleans type id (unique among the types Orleans serializes in this cluster).</summary>
    public const uint WireTypeId = 0x4F5201;
}
