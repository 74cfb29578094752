namespace OrleansRay.Grains;

/// <summary>One shard of the control store's actor table (Ray's GCS actor table): for each actor whose id falls in the
/// shard (<see cref="ActorTableShards.Of"/>), how to construct it, its state, its node and its restarts. Key: the shard
/// index, 0 to <see cref="ActorTableShards.Count"/> − 1.</summary>
/// <remarks>
/// Lives on the head and survives an actor's node, so an actor whose node died can be rebuilt elsewhere; persisted with
/// the cluster's grain storage (PostgreSQL with --storage), so a restarted head finds its actors again. A shard holds
/// many actors, so creating an actor costs no activation of its own besides its host's, and nodes send their
/// registrations and state changes in batches, one in flight per shard.
/// Dead actors' rows are kept for later callers (who get "it was killed") up to
/// <see cref="ActorTableShards.DeadKept"/> in all, oldest dropped first, as Ray keeps its latest destroyed actors
/// (<c>maximum_gcs_destroyed_actor_cached_count</c>, 100,000). A dead row keeps its spec without constructor arguments.
/// </remarks>
[Alias("orleansray.IActorTableGrain")]
public interface IActorTableGrain : IGrainWithIntegerKey
{
    /// <summary>Records new actors (idempotent per actor: a row that already has a spec keeps it). Returns once the
    /// rows are stored.</summary>
    [Alias("Register")]
    Task RegisterAsync(ActorCreationSpec[] specs);

    /// <summary>A fresh activation of actor <paramref name="actorId"/> found no instance (its node died, or the head
    /// restarted): counts a restart if MaxRestarts allows (a detached actor rebuilt under a control store that restarted
    /// since it last started comes back without using one) and returns how to construct it, or why it must not come back.</summary>
    /// <param name="actorId">The actor.</param>
    /// <param name="node">The node rebuilding it (<see cref="NodeId.Value"/>): its row's node from now on, so the state
    /// API does not take a rebuilt actor for one still lost with its old node.</param>
    [Alias("Restart")]
    Task<ActorRestart> RestartAsync(ActorId actorId, string node);

    /// <summary>Actors' states and nodes changed. A row already dead stays dead.</summary>
    [Alias("Report")]
    Task ReportAsync(ActorStateReport[] reports);

    /// <summary>The rows this shard holds of <paramref name="actorIds"/> (an id without a row is left out): what the state
    /// API shows of a named actor no live node hosts.</summary>
    [Alias("Rows")]
    Task<ActorTableRowInfo[]> RowsAsync(ActorId[] actorIds);

    /// <summary>The actors of this shard that no live node hosts: the node that last reported each is not in
    /// <paramref name="aliveNodes"/> (<see cref="NodeId.Value"/>s). Each row shows <c>DEAD</c> (killed, dead past its
    /// restarts, or lost with its node and no restart left) or <c>RESTARTING</c> (lost with its node, rebuilt at its next
    /// call); the state API lists them as Ray's GCS keeps its actors, dead ones included, after their node is gone. A
    /// row's job is its driver's worker id (empty for none), as nodes send it. Rows never reported from a node (a
    /// creation still on its way) are left out. Only rows passing <paramref name="filters"/> count
    /// (<see cref="ActorStateColumns.Matches"/>), and at most <paramref name="limit"/> of them come back, with how many
    /// passed: a table of 100,000 dead rows decodes only the specs a filter or the rows returned need.</summary>
    [Alias("Lost")]
    Task<LostActors> LostAsync(string[] aliveNodes, StateFilter[] filters, int limit);

    /// <summary>Which of the code packages <paramref name="packages"/> (package ids) a live (not dead) detached actor of
    /// this shard was built from (its constructor's <see cref="FunctionDescriptor.Code"/>): such an actor references its
    /// package, as in Ray a detached actor holds a reference to its runtime env's URIs, since restarting it on a new node
    /// needs the code.</summary>
    [Alias("DetachedPackages")]
    Task<string[]> DetachedPackagesAsync(string[] packages);
}

/// <summary>Where the actor table's rows live: which shard holds an actor, and how many dead actors are kept.</summary>
public static class ActorTableShards
{
    /// <summary>The number of shards (32): enough that concurrent creations from several nodes spread over several
    /// head activations, few enough that a cluster's first actors do not wait for many activations. Part of the stored
    /// layout: changing it moves actors between shards.</summary>
    public const int Count = 32;

    /// <summary>Dead actors' rows kept in the whole table (100,000, Ray's default), <see cref="DeadKeptPerShard"/> in
    /// each shard.</summary>
    public const int DeadKept = 100_000;

    /// <summary>Dead actors' rows kept in one shard: <see cref="DeadKept"/> / <see cref="Count"/>.</summary>
    public const int DeadKeptPerShard = DeadKept / Count;

    /// <summary>The shard that holds <paramref name="actorId"/>'s row: a fixed mix of its 128 bits (the low half is a
    /// per-process counter, the high half a per-process random prefix), so it is the same in every process and version.</summary>
    public static int Of(ActorId actorId)
    {
        var mixed = (actorId.Hi ^ (actorId.Lo * 0x9E3779B97F4A7C15UL)) * 0xBF58476D1CE4E5B9UL;
        return (int)((mixed >> 32) % Count);
    }
}

/// <summary>The answer to <see cref="IActorTableGrain.LostAsync"/>.</summary>
/// <param name="Rows">At most the limit asked of the rows that passed the filters.</param>
/// <param name="Matched">How many rows passed the filters.</param>
[GenerateSerializer, Immutable, Alias("orleansray.lostactors")]
public sealed record LostActors([property: Id(0)] ActorStateRow[] Rows, [property: Id(1)] int Matched);

/// <summary>A change of one actor's state, as its node reports it to the actor table.</summary>
/// <param name="ActorId">The actor.</param>
/// <param name="State">Its new state.</param>
/// <param name="Node">The id of the node that hosts it (the reporter: <see cref="NodeId.Value"/>); empty when unknown (a
/// kill recorded by a node where the actor never lived): the row then keeps the node it had.</param>
/// <param name="Restarts">Restarts the instance counts (those of <c>KillAsync(noRestart: false)</c> included): the table
/// keeps the larger of this and its own count, so a restart by a kill counts against MaxRestarts when the node dies later.</param>
[GenerateSerializer, Immutable, Alias("orleansray.actorstatereport")]
public readonly record struct ActorStateReport(
    [property: Id(0)] ActorId ActorId,
    [property: Id(1)] ActorState State,
    [property: Id(2)] string Node,
    [property: Id(3)] int Restarts = 0);

/// <summary>One row of the actor table, as <see cref="IActorTableGrain.RowsAsync"/> gives it.</summary>
/// <param name="ActorId">The actor.</param>
/// <param name="State">Its state as last reported (<see cref="ActorState.Dead"/> once killed or dead past its restarts).</param>
/// <param name="Node">The node that reported last (<see cref="NodeId.Value"/>); empty when unknown.</param>
/// <param name="Restarts">Restarts counted so far.</param>
/// <param name="MayRestart">Whether a rebuild now (its node died) would be allowed: not dead, and a restart left.</param>
[GenerateSerializer, Immutable, Alias("orleansray.actortablerowinfo")]
public readonly record struct ActorTableRowInfo(
    [property: Id(0)] ActorId ActorId,
    [property: Id(1)] ActorState State,
    [property: Id(2)] string Node,
    [property: Id(3)] int Restarts,
    [property: Id(4)] bool MayRestart);

/// <summary>The answer to <see cref="IActorTableGrain.RestartAsync"/>.</summary>
/// <param name="Spec">How to construct the actor; null when the table has no row for it.</param>
/// <param name="Restarts">Restarts counted so far, this one included.</param>
/// <param name="RefusedBecause">Why the actor must not come back (dead, no restarts left, unknown); null when it may.</param>
/// <param name="LastNode">The node that last reported the actor (<see cref="NodeId.Value"/>; empty when unknown): where a
/// refused actor lived, which the state API shows for it rather than the node that asked.</param>
[GenerateSerializer, Immutable, Alias("orleansray.actorrestart")]
public sealed record ActorRestart(
    [property: Id(0)] ActorCreationSpec? Spec,
    [property: Id(1)] int Restarts,
    [property: Id(2)] string? RefusedBecause,
    [property: Id(3)] string LastNode = "");
