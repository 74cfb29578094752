namespace OrleansRay.Scheduling;

/// <summary>The jobs this runtime knows ended, each by its driver's worker id (<see cref="TaskSpec.JobDriver"/>): a task
/// of one is refused wherever it would start waiting or running here, and <see cref="Take"/> finds the ones queued and
/// running (Ray: when a driver exits or shuts down, its pending tasks are cancelled and its workers killed).</summary>
/// <remarks>Thread-safe. Bounded: the latest <see cref="Kept"/> ends are remembered, several times the job table's 1,000
/// rows. Read on every enqueue once a job ended, written once per job end: readers look at an immutable set without a
/// lock, and <see cref="Add"/> publishes a new one. <see cref="IsEmpty"/> is a volatile read, so a runtime that never saw
/// a job end pays nothing per task.</remarks>
internal sealed class FinishedJobs
{
    /// <summary>Ends remembered: a worker id is 16 bytes, so 4,096 of them cost ~100 KB at most.</summary>
    public const int Kept = 4096;

    private readonly SchedulerEngine _engine;
    private readonly object _gate = new();
    private readonly Queue<WorkerId> _order = new();
    private volatile HashSet<WorkerId> _drivers = new();
    private volatile bool _any;

    public FinishedJobs(SchedulerEngine engine)
    {
        _engine = engine;
    }

    /// <summary>True while no job end is known (the hot path's only check).</summary>
    public bool IsEmpty => !_any;

    /// <summary>Records that the jobs of <paramref name="drivers"/> ended; returns those not known to have ended before.</summary>
    public HashSet<WorkerId> Add(IEnumerable<WorkerId> drivers)
    {
        ArgumentNullException.ThrowIfNull(drivers);
        var added = new HashSet<WorkerId>();
        lock (_gate)
        {
            var known = _drivers;
            foreach (var driver in drivers)
            {
                if (!driver.IsEmpty && !known.Contains(driver))
                {
                    added.Add(driver);
                }
            }

            if (added.Count == 0)
            {
                return added;
            }

            var next = new HashSet<WorkerId>(known);
            foreach (var driver in added)
            {
                next.Add(driver);
                _order.Enqueue(driver);
                if (_order.Count > Kept)
                {
                    next.Remove(_order.Dequeue());
                }
            }

            _drivers = next;
            _any = true;
        }

        return added;
    }

    /// <summary>True when the job of <paramref name="driver"/> is known to have ended.</summary>
    public bool Contains(WorkerId driver) => _any && !driver.IsEmpty && _drivers.Contains(driver);

    /// <summary>Takes the queued tasks of the jobs of <paramref name="drivers"/> out of the queues (none of them started:
    /// fail them) and lists their tasks running now (cancel them by force: each lease's resources come back as it is
    /// abandoned). Call after <see cref="Add"/>: a task enqueued from then on is refused, so the leases listed last are
    /// all the jobs' work that can hold resources here.</summary>
    public (List<TaskSpec> Queued, List<TaskSpec> Running) Take(IReadOnlySet<WorkerId> drivers)
    {
        ArgumentNullException.ThrowIfNull(drivers);
        var queued = _engine.Queued.TakeWhere((spec, _) => drivers.Contains(spec.JobDriver));
        var running = new List<TaskSpec>();
        lock (_engine.Gate)
        {
            foreach (var lease in _engine.LeasesLocked)
            {
                if (!lease.Abandoned && lease.Current is { State: TaskState.Running } spec && ReferenceEquals(spec.RunningLease, lease)
                    && drivers.Contains(spec.JobDriver))
                {
                    running.Add(spec);
                }
            }
        }

        return (queued, running);
    }

    /// <summary>The error of a task of an ended job: cancelled, saying why; never retried.</summary>
    public static RayError TaskError(TaskSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return RayError.Create(RayErrorKind.Cancelled,
            $"Task {spec.DisplayName} ({spec.Id}) was cancelled: its job ended (its driver disposed its IRay, exited or was killed, or the job was stopped), and a job's end cancels its tasks.",
            spec.DisplayName);
    }
}
