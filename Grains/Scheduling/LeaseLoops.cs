using OrleansRay.Execution;

namespace OrleansRay.Scheduling;

/// <summary>Granted leases from start to end: each is queued on the <see cref="WorkerPool"/> by the thread that granted
/// it, without that thread's execution context, and its loop takes task after task of its shape from the engine until
/// the engine says stop (Ray's worker lease reuse).</summary>
internal sealed class LeaseLoops
{
    private readonly SchedulerEngine _engine;
    private readonly WorkerPool _pool;
    private readonly ITaskRunner _runner;

    public LeaseLoops(SchedulerEngine engine, WorkerPool pool, ITaskRunner runner)
    {
        _engine = engine;
        _pool = pool;
        _runner = runner;
    }

    /// <summary>The lease loop: runs tasks of the lease's shape until <see cref="SchedulerEngine.TakeNext"/> says stop.</summary>
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
            spec = _engine.TakeNext(lease);
        }
    }

    /// <summary>Starts granted leases: queues each one's loop on the worker pool from the calling thread (the one that
    /// granted them, outside the engine's lock) and returns; never runs a loop inline.</summary>
    /// <remarks>
    /// <para>The caller may be user code on a worker thread that blocks right after (a task submitting a child and
    /// waiting for it with <c>.GetAwaiter().GetResult()</c>): queueing a task to the pool only adds it to the pool's
    /// queue (and starts a thread when none is spare), and the pool inlines only tasks that were never queued, so the
    /// loop never runs on, or waits for, the caller's thread.</para>
    /// <para>The caller's execution context does not flow into the loop: a loop outlives the submit that granted it and
    /// runs other submitters' tasks, so the submitter's async locals (its running task's context, its job's code scope,
    /// Orleans' request context, its own) must not reach them. Flow is suppressed around the queueing, unless the
    /// caller already suppressed it (<see cref="ExecutionContext.SuppressFlow"/> throws then).</para>
    /// </remarks>
    public void Start(StartedLeases leases)
    {
        if (leases.First is null)
        {
            return;
        }

        if (ExecutionContext.IsFlowSuppressed())
        {
            Queue(leases);
            return;
        }

        using (ExecutionContext.SuppressFlow())
        {
            Queue(leases);
        }
    }

    private void Queue(StartedLeases leases)
    {
        Queue(leases.First!);
        if (leases.More is { } more)
        {
            foreach (var lease in more)
            {
                Queue(lease);
            }
        }
    }

    /// <summary>Queues <paramref name="lease"/>'s loop as one task on the pool (no closure, no unwrapped proxy: nobody
    /// waits for the loop; a failure it lets escape is the runner's to report, as every task's outcome is).</summary>
    private void Queue(Lease lease) =>
        Task.Factory.StartNew(
            static state =>
            {
                var (loops, lease) = ((LeaseLoops, Lease))state!;
                _ = loops.RunLoopAsync(lease);
            },
            (this, lease),
            CancellationToken.None,
            TaskCreationOptions.DenyChildAttach,
            _pool);
}
