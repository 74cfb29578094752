namespace OrleansRay.Train.Collective;

/// <summary>How one rank reaches another: the worker actor implements it by calling the peer worker actor's inbox
/// method (in a concurrency group, so it runs while the peer's train loop is running), which hands the message to
/// <see cref="CollectiveInbox.Deliver"/> in the peer's process.</summary>
internal interface ICollectiveTransport
{
    /// <summary>Delivers <paramref name="message"/> to rank <paramref name="toRank"/>'s inbox; completes once it is
    /// delivered. Throws (e.g. <c>ActorDiedException</c>) when the peer cannot be reached: the collective then fails.</summary>
    Task SendAsync(int toRank, CollectiveMessage message, CancellationToken cancellationToken);
}
