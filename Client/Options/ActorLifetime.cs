namespace OrleansRay;

/// <summary>How long an actor lives.</summary>
public enum ActorLifetime
{
    /// <summary>Dies with the driver (job) that created it. The default.</summary>
    NonDetached = 0,

    /// <summary>Lives until killed, beyond its creator, and comes back after its node dies whatever its MaxRestarts
    /// (see <see cref="ActorOptions.Lifetime"/>).</summary>
    Detached = 1,
}
