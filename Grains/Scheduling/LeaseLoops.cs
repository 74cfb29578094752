using OrleansRay.Execution;

namespace OrleansRay.Scheduling;

/// <summary>Granted leases from start to end: each is queued on the <see cref="WorkerPool"/> by the thread that granted
/// it (or held for its driver's get to run, <see cref="WorkerPool.PostDeferred"/>), without that thread's execution
/// context, and its loop takes task after task of its shape from the engine until the engine says stop (Ray's worker
/// lease reuse).</summary>
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

    /// <summary>What runs each task.</summary>
    public ITaskRunner Runner => _runner;

    /// <summary>The lease loop: runs tasks of the lease's shape until <see cref="SchedulerEngine.TakeNext"/> says stop.</summary>
    public async Task RunLoopAsync(Lease lease)
    {
        var spec = lease.Next;
        lease.Next = null;
        if (spec is not null)
        {
            spec.QueuedLease = null;
        }

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
    /// waits for the loop; a failure it lets escape is the runner's to report, as every task's outcome is). The loop
    /// runs only if the worker thread claims it first: a driver may have run the lease's task itself meanwhile.</summary>
    private void Queue(Lease lease)
    {
        if (lease.Next is { } next)
        {
            next.QueuedLease = lease;
            if (DriverWillRunHere(next) || ChannelWillRunHere(next))
            {
                // The driver's only task, short last time: its get is about to run it (TryRunHere). No worker thread
                // is woken for it unless the driver does not come for it (WorkerPool.PostDeferred).
                _pool.PostDeferred(RunQueuedLease, lease);
                return;
            }
        }

        _pool.Post(RunQueuedLease, lease);
    }

    /// <summary>A queued lease's item on the pool: runs the loop unless a driver claimed the lease first.</summary>
    private static readonly Action<object?> RunQueuedLease = static state =>
    {
        var lease = (Lease)state!;
        if (lease.TryClaim())
        {
            _ = lease.Class.Engine.Loops.RunLoopAsync(lease);
        }
        else
        {
            WorkerPool.FoundNothing(); // the driver ran it
        }
    };

    /// <summary>A lone task another owner sent on a task channel, short last time: the channel's reader is about to run
    /// it (<see cref="Transport.ChannelRunHere"/>).</summary>
    private static bool ChannelWillRunHere(TaskSpec next) =>
        Transport.ChannelRunHere.IsSubmitting && next.IsForeign && next.Function.RanShortLastTime;

    /// <summary>True when <paramref name="next"/> is queued by a driver's own submit (<see cref="DriverSubmit.IsActive"/>,
    /// not a grant made as another task finished; <see cref="WorkerPool.IsDriverCode"/>), is the only task the node has
    /// in flight, and its function's last run was short: what a driver's get of it runs on its own thread.</summary>
    private static bool DriverWillRunHere(TaskSpec next) =>
        DriverSubmit.IsActive && WorkerPool.IsDriverCode && next.Function.RanShortLastTime && next.IsLoneLocal;

    /// <summary>Queues the lease held for its driver now (a waiter will not run it).</summary>
    public void Hurry() => _pool.QueueDeferredNow();

    /// <summary>Runs <paramref name="spec"/>, the first task of the queued <paramref name="lease"/>, on the calling
    /// thread (a driver waiting for it; <see cref="TaskSpec.TryRunHere"/>) if no worker thread has taken the lease yet.
    /// The task runs as on a worker thread: under the pool's scheduler (its awaits resume on worker threads) and the
    /// default execution context (none of the driver's async locals). What the lease runs after it goes back to the
    /// pool. True when the task ran (or started and went async) here.</summary>
    public bool TryRunHere(Lease lease, TaskSpec spec)
    {
        if (!lease.TryClaim())
        {
            return false; // a worker thread has it
        }

        _pool.ClaimedHere(lease); // claimed: a deferred item is dropped, a queued one needs no thread

        if (!ReferenceEquals(lease.Next, spec))
        {
            // The lease moved on (this claim raced its loop giving the lease back): hand it back to the pool.
            lease.Unclaim();
            RequeueWithoutFlow(lease);
            return false;
        }

        spec.QueuedLease = null;
        _pool.RunHere(static state =>
        {
            var lease = (Lease)state!;
            lease.Class.Engine.Loops.RunFirstHere(lease);
        }, lease);
        return true;
    }

    private void RunFirstHere(Lease lease)
    {
        var spec = lease.Next!;
        lease.Next = null;
        var run = _runner.RunAsync(spec, lease);
        if (!run.IsCompletedSuccessfully)
        {
            // User code went async (or the run failed, which the loop would observe the same way): the rest of the
            // lease continues on the pool once it is done (this runs under the pool's scheduler).
            _ = ContinueAsync(lease, run.AsTask());
            return;
        }

        lease.Executed++;
        if (_engine.TakeNext(lease) is { } next)
        {
            lease.Next = next;
            next.QueuedLease = lease; // before the claim is given back: a loop that claims it then clears this
            lease.Unclaim();
            RequeueWithoutFlow(lease);
        }
    }

    /// <summary>The loop of a lease whose first task ran on a driver's thread and went async: resumes on the pool.</summary>
    private async Task ContinueAsync(Lease lease, Task run)
    {
        await run;
        lease.Executed++;
        lease.Next = _engine.TakeNext(lease);
        await RunLoopAsync(lease);
    }

    private void RequeueWithoutFlow(Lease lease)
    {
        if (ExecutionContext.IsFlowSuppressed())
        {
            Queue(lease);
            return;
        }

        using (ExecutionContext.SuppressFlow())
        {
            Queue(lease);
        }
    }
}
