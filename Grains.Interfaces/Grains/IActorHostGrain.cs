namespace OrleansRay.Grains;

/// <summary>Hosts one actor instance (key: the ActorId as a Guid) and runs its calls in caller order.</summary>
[Alias("orleansray.IActorHostGrain")]
public interface IActorHostGrain : IGrainWithGuidKey
{
    /// <summary>Creates the actor; idempotent for the same spec.</summary>
    [Alias("Create")]
    Task CreateAsync(ActorCreationSpec spec);

    /// <summary>Queues calls; returns once they are queued, not run, with the node the actor lives on (the caller
    /// watches it: calls queued there when it dies are re-sent while the actor's MaxTaskRetries lasts, else fail).
    /// Results go to each call's owner.</summary>
    [Alias("Submit")]
    Task<ActorCallsAccepted> SubmitAsync(ActorCallBatch batch);

    /// <summary>Queues a lone call (a batch of one call that is not a streaming generator) and waits up to about a
    /// millisecond for its result, which the answer then carries (<see cref="ActorCallsAccepted.Result"/>; Ray's PushTask
    /// reply carries a small return value): one round trip for a short call instead of a submit, its answer and a
    /// result message.</summary>
    /// <returns>As <see cref="SubmitAsync"/>, or null, having queued nothing, when this activation has no started actor
    /// (the caller then sends the batch with <see cref="SubmitAsync"/>, which rebuilds it) or the batch is not lone.</returns>
    /// <remarks>Always interleaved: the wait must not hold up the actor's other messages (other callers' batches,
    /// cancels, kills).</remarks>
    [Alias("SubmitLone")]
    [Orleans.Concurrency.AlwaysInterleave]
    Task<ActorCallsAccepted?> SubmitLoneAsync(ActorCallBatch batch);

    /// <summary>Cancels one call of <paramref name="caller"/>: skipped if it has not run (even if it has not arrived
    /// yet), its RayContext.CancellationToken cancelled if it runs. The caller has already failed its result.</summary>
    [Alias("CancelCall")]
    Task CancelCallAsync(WorkerId caller, long sequence);

    /// <summary>Kills the actor; with <paramref name="noRestart"/> false it restarts if its MaxRestarts allows.</summary>
    [Alias("Kill")]
    Task KillAsync(bool noRestart, string reason);

    /// <summary>The node the actor lives on (rebuilding it from its record first if this activation never saw its
    /// creation): where its grain activation, for an actor behind a grain interface, is placed.</summary>
    [Alias("Locate")]
    Task<ActorLocation> LocateAsync();

    /// <summary>The actor's state, restarts and node.</summary>
    [Alias("GetInfo")]
    Task<ActorInfo?> GetInfoAsync();

    /// <summary>Moves a class actor still waiting for its resources to node <paramref name="node"/> (a silo address),
    /// which can hold it (its own node never can) or has room for it now (its own node is busy): its creation and the
    /// calls queued for it go along (Ray's spillback; Ray schedules a pending actor on a node with room). Nothing when the
    /// actor no longer waits.</summary>
    [Alias("MoveTo")]
    Task MoveToAsync(string node);
}

/// <summary>Where an actor lives and what its callers may do: its node, how many times a call lost with that node may be
/// re-sent, and whether it is dead.</summary>
[GenerateSerializer, Immutable, Alias("orleansray.actorlocation")]
public sealed record ActorLocation(
    [property: Id(0)] string Node,
    [property: Id(1)] int MaxTaskRetries,
    [property: Id(2)] bool Dead);
