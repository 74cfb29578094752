namespace OrleansRay.Scheduling;

/// <summary>Leases after they are granted: the resources of a leased task that blocks in a Get or is cancelled by force.</summary>
internal sealed partial class SchedulerEngine
{
    /// <summary>The task running under <paramref name="lease"/> waits for objects: its CPUs go back meanwhile
    /// (<see cref="LeaseResources.Block"/>), and what now fits is granted.</summary>
    public bool ReleaseWhileBlocked(Lease lease, Execution.ICancellableWork? work)
    {
        var started = default(StartedLeases);
        bool counted;
        lock (_gate)
        {
            counted = LeaseResources.Block(_resources, lease, work, out var released);
            if (released)
            {
                GrantLocked(ref started);
            }
        }

        Start(started);
        return counted;
    }

    /// <summary>A wait of the task ends (<see cref="LeaseResources.Resume"/>).</summary>
    public void ReacquireAfterBlocked(Lease lease, Execution.ICancellableWork? work)
    {
        lock (_gate)
        {
            LeaseResources.Resume(_resources, lease, work);
        }
    }

    /// <summary>A forced cancel: free the lease's resources now; its thread finishes the function and stops.</summary>
    public void Abandon(Lease lease, TaskSpec spec)
    {
        var started = default(StartedLeases);
        lock (_gate)
        {
            if (lease.Abandoned || !ReferenceEquals(spec.RunningLease, lease) || spec.State != TaskState.Running)
            {
                return;
            }

            LeaseResources.Abandon(_resources, lease);
            GrantLocked(ref started);
        }

        Start(started);
    }

    /// <summary>Starts granted leases (outside the lock).</summary>
    private void Start(StartedLeases leases) => _loops.Start(leases);
}
