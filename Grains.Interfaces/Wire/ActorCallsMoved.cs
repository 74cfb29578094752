namespace OrleansRay;

/// <summary>Tells a caller that calls it had handed to one node now wait on another: their actor, which had not started
/// yet, moved there with them (a pending actor placed where there is room, as Ray's GCS places it), or they reached the
/// actor's old node after it left and were forwarded. The caller counts them lost with <paramref name="Node"/> from now
/// on (<see cref="Grains.INodeEndpoint.ActorCallsMovedAsync"/>).</summary>
/// <param name="Actor">The actor called.</param>
/// <param name="Node">The node the calls wait on now.</param>
/// <param name="Caller">The submitter that made the calls.</param>
/// <param name="Sequences">The calls' sequence numbers (that submitter's numbering of its calls to the actor), ascending.</param>
/// <param name="From">The node that had accepted them: a caller that has since sent them again elsewhere (that node
/// died) ignores the word.</param>
[GenerateSerializer, Immutable, Alias("orleansray.actorcallsmoved")]
public sealed record ActorCallsMoved(
    [property: Id(0)] ActorId Actor,
    [property: Id(1)] string Node,
    [property: Id(2)] WorkerId Caller,
    [property: Id(3)] long[] Sequences,
    [property: Id(4)] string From);
