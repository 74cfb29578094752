namespace OrleansRay.Scheduling;

/// <summary>Where the engine starts granted leases: directly on the worker pool (the default), or through an
/// <see cref="ILeaseStarter"/> while one is routed through (the node's executor grain while its silo is active).</summary>
/// <remarks>
/// The node's lifecycle switches it: <see cref="RouteThrough"/> once the silo is active, <see cref="RunDirectly"/> when it
/// stops (the executor grain may be deactivating). The engine reads it once per lease, so a switch takes effect for the
/// next lease; a lease whose start through the route fails runs directly. Thread-safe.
/// </remarks>
internal sealed class LeaseRoute
{
    private volatile ILeaseStarter? _starter;

    /// <summary>The starter leases go through now; null when they run directly on the worker pool.</summary>
    public ILeaseStarter? Starter => _starter;

    /// <summary>Starts the next leases through <paramref name="starter"/>.</summary>
    public void RouteThrough(ILeaseStarter starter)
    {
        ArgumentNullException.ThrowIfNull(starter);
        _starter = starter;
    }

    /// <summary>Runs the next leases directly on the worker pool.</summary>
    public void RunDirectly() => _starter = null;
}
