namespace OrleansRay.Grains;

/// <summary>The control store's row of one actor (key: the ActorId as a Guid): how to construct it, its state and its
/// restarts. Lives on the head and survives the actor's node, so an actor whose node died can be rebuilt elsewhere;
/// persisted with the cluster's grain storage (PostgreSQL with --storage), so a restarted head finds it again.</summary>
[Alias("orleansray.IActorRecordGrain")]
public interface IActorRecordGrain : IGrainWithGuidKey
{
    /// <summary>Records a new actor (idempotent).</summary>
    [Alias("Register")]
    Task RegisterAsync(ActorCreationSpec spec);

    /// <summary>A fresh activation of the actor found no instance (its node died, or the head restarted): counts a
    /// restart if MaxRestarts allows (detached actors always come back) and returns how to construct it.</summary>
    [Alias("Restart")]
    Task<ActorRestart> RestartAsync();

    /// <summary>The actor's state and node changed.</summary>
    [Alias("Report")]
    Task ReportAsync(ActorState state, string node);
}

/// <summary>The answer to <see cref="IActorRecordGrain.RestartAsync"/>.</summary>
[GenerateSerializer, Immutable, Alias("orleansray.actorrestart")]
public sealed record ActorRestart(
    [property: Id(0)] ActorCreationSpec? Spec,
    [property: Id(1)] int Restarts,
    [property: Id(2)] string? RefusedBecause);
