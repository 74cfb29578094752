using Microsoft.Extensions.Logging;
using OrleansRay.Execution;

namespace OrleansRay.Scheduling;

/// <summary>Granted leases from start to end: each starts through the <see cref="LeaseRoute"/> (the executor grain while
/// the silo is active) or directly, and runs its loop on the <see cref="WorkerPool"/>, taking task after task of its
/// shape from the engine until the engine says stop (Ray's worker lease reuse).</summary>
internal sealed partial class LeaseLoops
{
    private readonly SchedulerEngine _engine;
    private readonly WorkerPool _pool;
    private readonly ITaskRunner _runner;
    private readonly LeaseRoute _route;
    private readonly ILogger _logger;

    public LeaseLoops(SchedulerEngine engine, WorkerPool pool, ITaskRunner runner, LeaseRoute route, ILogger logger)
    {
        _engine = engine;
        _pool = pool;
        _runner = runner;
        _route = route;
        _logger = logger;
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
            spec = _engine.TakeNext(lease);
        }
    }

    /// <summary>Runs <paramref name="lease"/>'s loop on the worker pool.</summary>
    public Task RunDirectly(Lease lease) => _pool.Run(() => RunLoopAsync(lease));

    /// <summary>Starts granted leases: through the route's starter (on a thread-pool thread) while there is one, else
    /// directly.</summary>
    public void Start(List<Lease>? leases)
    {
        if (leases is null)
        {
            return;
        }

        foreach (var lease in leases)
        {
            if (_route.Starter is null)
            {
                _ = RunDirectly(lease);
                continue;
            }

            // The executor grain is called from a thread-pool thread, never from the caller's thread: the caller may be
            // user code on a worker thread that is about to block, and Orleans must not run any of the call's
            // continuations there (seen: lease starts stuck behind a blocked task's thread).
            ThreadPool.UnsafeQueueUserWorkItem(static state => state.Loops.StartThroughRoute(state.Lease), (Loops: this, Lease: lease), preferLocal: false);
        }
    }

    private void StartThroughRoute(Lease lease)
    {
        var starter = _route.Starter;
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Starting lease {LeaseId} through the executor grain failed; running it directly")]
    private static partial void LogLeaseStartFailed(ILogger logger, long leaseId, Exception exception);
}
