namespace OrleansRay;

/// <summary>How long an actor lives.</summary>
public enum ActorLifetime
{
    /// <summary>Dies with the driver (job) that created it. The default.</summary>
    NonDetached = 0,

    /// <summary>Lives until killed, beyond its creator (Ray's <c>lifetime="detached"</c>); after its node dies it comes
    /// back while its MaxRestarts allows, and after its head restarted on PostgreSQL always (see
    /// <see cref="ActorOptions.Lifetime"/>).</summary>
    Detached = 1,
}
