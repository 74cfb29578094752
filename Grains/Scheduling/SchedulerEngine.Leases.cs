namespace OrleansRay.Scheduling;

/// <summary>Leases after they are granted: the resources of a leased task that blocks in a Get or is cancelled by force.</summary>
internal sealed partial class SchedulerEngine
{
    /// <summary>The task running under <paramref name="lease"/> waits for objects: hand its resources back meanwhile
    /// (Ray does the same, so nested tasks cannot deadlock a full node).</summary>
    public void ReleaseWhileBlocked(Lease lease)
    {
        var started = default(StartedLeases);
        lock (_gate)
        {
            if (lease.Blocked || lease.Abandoned)
            {
                return;
            }

            lease.Blocked = true;
            _resources.Return(lease.Class.Claim);
            // A blocked lease stops counting against its shape's lease cap too: for zero-resource tasks the cap is the
            // only bound, and blocked ones must not keep the tasks they wait for from starting.
            lease.Class.ActiveLeases--;
            GrantLocked(ref started);
        }

        Start(started);
    }

    /// <summary>The blocked task resumes: take its resources again (the node may be briefly over-subscribed, as in Ray).</summary>
    public void ReacquireAfterBlocked(Lease lease)
    {
        lock (_gate)
        {
            if (!lease.Blocked || lease.Abandoned)
            {
                return;
            }

            lease.Blocked = false;
            _resources.Take(lease.Class.Claim);
            lease.Class.ActiveLeases++;
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

            lease.Abandoned = true;
            if (!lease.Blocked)
            {
                _resources.Return(lease.Class.Claim);
                lease.Class.ActiveLeases--;
            }
            GrantLocked(ref started);
        }

        Start(started);
    }

    /// <summary>Starts granted leases (outside the lock).</summary>
    private void Start(StartedLeases leases) => _loops.Start(leases);
}
