namespace OrleansRay.Scheduling;

/// <summary>Runs one task under a lease: resolves its arguments, invokes its function, and finishes it (its result,
/// its retry, the engine's finished/failed counts).</summary>
/// <remarks>Called on a worker thread by the lease loop, one task at a time per lease; the lease's resources stay held
/// until the returned task completes. A synchronous function should complete inline.</remarks>
internal interface ITaskRunner
{
    /// <summary>Runs <paramref name="spec"/> under <paramref name="lease"/>.</summary>
    ValueTask RunAsync(TaskSpec spec, Lease lease);
}
