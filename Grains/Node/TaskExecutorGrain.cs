using Orleans.Concurrency;
using OrleansRay.Grains;
using OrleansRay.Execution;

namespace OrleansRay.Node;

/// <summary>Starts worker leases of the local scheduler. A [StatelessWorker], so a call always lands on the caller's own
/// silo; [Reentrant] because it only hands the lease to the worker threads and returns.</summary>
/// <remarks>The lease runs on <see cref="WorkerPool"/> threads, off the grain scheduler, because user functions may block.</remarks>
[StatelessWorker]
[Reentrant]
internal sealed class TaskExecutorGrain : Grain, ITaskExecutorGrain
{
    private readonly NodeRuntime _runtime;

    public TaskExecutorGrain(NodeRuntime runtime)
    {
        _runtime = runtime;
    }

    public Task RunLeaseAsync(long leaseId)
    {
        // Not awaited: a lease may run for as long as its tasks keep coming; the grain call must not wait for that.
        // The grain turn's execution context must not flow into the worker threads: calls that user code makes from
        // there would otherwise be attributed to this activation, and their responses queued behind it.
        using (ExecutionContext.SuppressFlow())
        {
            _ = _runtime.Scheduler.RunLeaseAsync(leaseId);
        }

        return Task.CompletedTask;
    }
}
