namespace OrleansRay.Scheduling;

/// <summary>Leases after they are granted: how they start (through the <see cref="LeaseRoute"/> or directly), their
/// loop, and the resources of a leased task that blocks in a Get or is cancelled by force.</summary>
internal sealed partial class SchedulerEngine
{
    /// <summary>Runs a granted lease's loop on the worker pool; called by the route's starter (the executor grain).</summary>
    public Task RunLeaseAsync(long leaseId)
    {
        Lease? lease;
        lock (_gate)
        {
            _leases.TryGetValue(leaseId, out lease);
        }

        return lease is null ? Task.CompletedTask : RunDirectly(lease);
    }

    /// <summary>The lease loop: runs tasks of the lease's shape until <see cref="TakeNext"/> says stop.</summary>
    public async Task RunLoopAsync(Lease lease)
    {
        var spec = lease.Next;
        lease.Next = null;
        while (spec is not null)
        {
            var run = _runner.RunAsync(spec, lease);
            if (!run.IsCompletedSuccessfully)
            {
                await run;
            }

            lease.Executed++;
            spec = TakeNext(lease);
        }
    }

    /// <summary>The task running under <paramref name="lease"/> waits for objects: hand its resources back meanwhile
    /// (Ray does the same, so nested tasks cannot deadlock a full node).</summary>
    public void ReleaseWhileBlocked(Lease lease)
    {
        List<Lease>? started = null;
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
        List<Lease>? started = null;
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

    private Task RunDirectly(Lease lease) => _pool.Run(() => RunLoopAsync(lease));

    private void Start(List<Lease>? leases)
    {
        if (leases is null)
        {
            return;
        }

        foreach (var lease in leases)
        {
            if (LeaseRoute.Starter is null)
            {
                _ = RunDirectly(lease);
                continue;
            }

            // The executor grain is called from a thread-pool thread, never from the caller's thread: the caller may be
            // user code on a worker thread that is about to block, and Orleans must not run any of the call's
            // continuations there (seen: lease starts stuck behind a blocked task's thread).
            ThreadPool.UnsafeQueueUserWorkItem(static state => state.Engine.StartThroughRoute(state.Lease), (Engine: this, Lease: lease), preferLocal: false);
        }
    }

    private void StartThroughRoute(Lease lease)
    {
        var starter = LeaseRoute.Starter;
        Task start;
        try
        {
            start = starter is null ? RunDirectly(lease) : starter.StartLeaseAsync(lease.Id);
        }
        catch (Exception ex)
        {
            start = Task.FromException(ex);
        }

        if (!start.IsCompletedSuccessfully)
        {
            _ = ObserveStartAsync(start, lease);
        }
    }

    private async Task ObserveStartAsync(Task start, Lease lease)
    {
        try
        {
            await start.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The executor grain could not be reached (silo shutting down): run the lease directly so no task is lost.
            LogLeaseStartFailed(_logger, lease.Id, ex);
            _ = RunDirectly(lease);
        }
    }
}
