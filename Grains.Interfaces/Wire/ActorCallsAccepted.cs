namespace OrleansRay;

/// <summary>An actor host's answer to a batch of calls: they are queued (not run) on <paramref name="Node"/>, and a call
/// lost with that node may be re-sent <paramref name="MaxTaskRetries"/> times.</summary>
/// <param name="Node">The node the actor lives on: the caller watches it, since calls queued there die with it.</param>
/// <param name="MaxTaskRetries">The actor's MaxTaskRetries (int.MaxValue for unlimited).</param>
[GenerateSerializer, Immutable, Alias("orleansray.actorcallsaccepted")]
public sealed record ActorCallsAccepted([property: Id(0)] string Node, [property: Id(1)] int MaxTaskRetries)
{
    /// <summary>The result of a lone call (<c>IActorHostGrain.SubmitLoneAsync</c>) that finished before this answer left:
    /// it comes no other way. Null when it had not (it comes on its own) and for every other batch.</summary>
    [Id(2)] public RemoteResult? Result { get; init; }
}
