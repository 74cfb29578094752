namespace OrleansRay.Grains;

/// <summary>Runs a worker lease of the local scheduler: the lease's tasks execute on the node's worker threads, never on the grain scheduler.</summary>
[Alias("orleansray.ITaskExecutorGrain")]
public interface ITaskExecutorGrain : IGrainWithIntegerKey
{
    /// <summary>Starts lease <paramref name="leaseId"/> of the local scheduler engine; returns once it has started.</summary>
    [Alias("RunLease")]
    Task RunLeaseAsync(long leaseId);
}
