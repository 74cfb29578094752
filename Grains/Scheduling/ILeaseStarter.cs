namespace OrleansRay.Scheduling;

/// <summary>Starts a granted lease somewhere other than on the engine's own path (the node's executor grain while its
/// silo is active); the lease then runs through <see cref="SchedulerEngine.RunLeaseAsync"/>.</summary>
/// <remarks>The engine calls it from a thread-pool thread, never from the thread that freed the resources, and runs the
/// lease directly on the worker pool when the returned task fails. Installed through <see cref="LeaseRoute"/>.</remarks>
internal interface ILeaseStarter
{
    /// <summary>Starts lease <paramref name="leaseId"/>; completes once it is handed over, not when it ends.</summary>
    Task StartLeaseAsync(long leaseId);
}
