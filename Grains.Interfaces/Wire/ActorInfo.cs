namespace OrleansRay;

/// <summary>An actor's row in the actor directory.</summary>
[GenerateSerializer, Immutable, Alias("orleansray.actorinfo")]
public sealed record ActorInfo(
    [property: Id(0)] ActorId ActorId,
    [property: Id(1)] string Name,
    [property: Id(2)] string Namespace,
    [property: Id(3)] string ClassName,
    [property: Id(4)] ActorState State,
    [property: Id(5)] string Node,
    [property: Id(6)] int Restarts,
    [property: Id(7)] bool Detached);
