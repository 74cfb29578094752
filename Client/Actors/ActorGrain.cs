namespace OrleansRay;

/// <summary>The base class of an actor behind a grain interface: an Orleans grain that OrleansRay places by resources,
/// names, kills, restarts and keeps in per-caller order.</summary>
public abstract class ActorGrain : Grain, IActor
{
}
