using OrleansRay.Execution;

namespace OrleansRay.Scheduling;

/// <summary>The node's scheduler: holds tasks until their arguments exist, admits them when their resources are free,
/// and hands them to worker leases. Also the ledger for actors' resources and placement-group bundles.</summary>
/// <remarks>
/// <para>One lock guards the ledger, the ready queues and the leases; every critical section is O(1) amortized, so it
/// stays off the profile at 100k tasks/s. Leases are started outside the lock, by the thread that granted them, straight
/// onto the <see cref="WorkerPool"/> (without that thread's execution context; see <see cref="LeaseLoops.Start"/>).</para>
/// <para>Its collaborators are ports passed to the constructor: an <see cref="IArgumentSource"/> for object arguments,
/// an <see cref="ITaskPlacer"/> for spillback and an <see cref="ITaskRunner"/> for the tasks themselves. On a node the
/// runner is the Scheduling layer's <see cref="TaskAttempts"/>, and the argument source and placer are the node runtime,
/// which hands placement to the cluster scheduler it builds after the engine (the two need each other; the composition
/// root breaks the cycle). A task reaches its own engine through <see cref="TaskSpec.Engine"/>. Its parts by concern are
/// classes of their own: <see cref="TaskDependencies"/>, <see cref="QueuedTasks"/>, <see cref="NodeResources"/>,
/// <see cref="LeaseLoops"/>, <see cref="StarvationGuard"/> and <see cref="TaskCounters"/>.</para>
/// </remarks>
internal sealed partial class SchedulerEngine : IDisposable
{
    /// <summary>A lease gives way to starved shapes after this many tasks, so one busy shape cannot hold the node (fairness vs. re-grant cost).</summary>
    private const int FairnessQuantum = 256;

    private readonly object _gate = new();
    private readonly Dictionary<ResourceSet, SchedulingClass> _classes = new();
    private readonly List<SchedulingClass> _waitingClasses = new();
    private readonly Dictionary<long, Lease> _leases = new();
    private readonly LeaseLoops _loops;

    /// <summary>The loops of granted leases.</summary>
    internal LeaseLoops Loops => _loops;
    private readonly TaskDependencies _dependencies;
    private readonly StarvationGuard _starvation;
    private readonly ResourceLedger _resources;
    private readonly ITaskPlacer _placer;
    private readonly ITaskRunner _runner;
    private readonly int _zeroResourceLeaseCap;
    private long _nextLeaseId;

    /// <summary>Makes the engine of a node with <paramref name="total"/> resources.</summary>
    /// <param name="total">The node's resources.</param>
    /// <param name="pool">The worker threads leases run on.</param>
    /// <param name="runner">Runs each task.</param>
    /// <param name="arguments">Finds the entries of object arguments.</param>
    /// <param name="placer">Asked whether each ready task this node owns runs elsewhere.</param>
    /// <param name="timeProvider">Drives the starvation check; default: the system clock.</param>
    public SchedulerEngine(ResourceSet total, WorkerPool pool, ITaskRunner runner, IArgumentSource arguments, ITaskPlacer placer,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(total);
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(placer);
        Resources = new NodeResources(this, total);
        _resources = Resources.Ledger;
        _placer = placer;
        _runner = runner;
        _loops = new LeaseLoops(this, pool, runner);
        _dependencies = new TaskDependencies(this, arguments);
        Queued = new QueuedTasks(this);
        FinishedJobs = new FinishedJobs(this);
        _starvation = new StarvationGuard(this, timeProvider ?? TimeProvider.System);

        // Tasks and actors that ask for no resources are not bounded by the ledger; cap their concurrent leases so a
        // burst of them cannot create thousands of threads (Ray bounds them by its worker-process count).
        _zeroResourceLeaseCap = Math.Max(8, 4 * Environment.ProcessorCount);
    }

    /// <summary>The ready queues as the placer, cancellation and the node's status see them.</summary>
    public QueuedTasks Queued { get; }

    /// <summary>Under the lock: the scheduling class of <paramref name="shape"/>, if one was made.</summary>
    internal bool TryGetClassLocked(ResourceSet shape, out SchedulingClass cls) => _classes.TryGetValue(shape, out cls!);

    /// <summary>Under the lock: the shapes with queued tasks.</summary>
    internal List<SchedulingClass> WaitingClassesLocked => _waitingClasses;

    /// <summary>How many leases a zero-resource shape may hold at once (the cap, plus what the starvation check allowed).</summary>
    internal int ZeroResourceLeaseLimit(SchedulingClass cls) => _zeroResourceLeaseCap + cls.ExtraLeases;

    /// <summary>Stops the starvation check.</summary>
    public void Dispose() => _starvation.Dispose();

    /// <summary>The node's resources: totals, free amounts, actors' reservations, placement-group bundles.</summary>
    public NodeResources Resources { get; }

    /// <summary>The placement groups this runtime knows were removed: their work is refused here.</summary>
    public RemovedPlacementGroups RemovedGroups { get; } = new();

    /// <summary>The jobs this runtime knows ended: their tasks are refused here.</summary>
    public FinishedJobs FinishedJobs { get; }

    /// <summary>The lock that guards the ledger, the ready queues and the leases.</summary>
    internal object Gate => _gate;

    /// <summary>Under the lock: the granted leases not released yet.</summary>
    internal IEnumerable<Lease> LeasesLocked => _leases.Values;

    /// <summary>Runs <paramref name="change"/> under the lock; when it returns true, grants what now fits and starts those
    /// leases outside the lock. Returns what <paramref name="change"/> returned.</summary>
    internal bool ChangeThenGrant(Func<bool> change)
    {
        var started = default(StartedLeases);
        lock (_gate)
        {
            if (!change())
            {
                return false;
            }

            GrantLocked(ref started);
        }

        Start(started);
        return true;
    }

    /// <summary>Accepts a task whose owner is on this node: waits for its object arguments, then queues it.</summary>
    public void Submit(TaskSpec spec) => _dependencies.Submit(spec);

    /// <summary>Takes a task back that ran before (its result or an argument is being rebuilt): waits for its object
    /// arguments again, then queues it; not counted as a new submission.</summary>
    public void Resubmit(TaskSpec spec) => _dependencies.Submit(spec, countSubmitted: false);

    /// <summary>Puts a ready task (or a retry) in its shape's queue and grants leases if resources allow; one of a
    /// removed placement group or of an ended job fails instead.</summary>
    public void Enqueue(TaskSpec spec)
    {
        if (spec.Cancelled)
        {
            return;
        }

        if (!FinishedJobs.IsEmpty && FinishedJobs.Contains(spec.JobDriver))
        {
            _runner.Refuse(spec, FinishedJobs.TaskError(spec)); // before placement: it is sent nowhere
            return;
        }

        if (!RemovedGroups.IsEmpty && RemovedGroups.GroupOf(spec, null) is { } removed)
        {
            _runner.Refuse(spec, RemovedPlacementGroups.TaskError(spec, removed)); // owned: its placement says the group
            return;
        }

        if (!spec.IsForeign && _placer.TryPlaceElsewhere(spec))
        {
            return;
        }

        EnqueueHere(spec);
    }

    /// <summary>Queues a task on this node without asking the placer (it chose this node); one of a removed placement
    /// group or of an ended job fails instead.</summary>
    public void EnqueueHere(TaskSpec spec)
    {
        if (spec.Cancelled)
        {
            return;
        }

        if (RuntimeMeters.SchedulingLatency.Enabled)
        {
            spec.ReadyAt = System.Diagnostics.Stopwatch.GetTimestamp();
        }

        var started = default(StartedLeases);
        Guid? removed = null;
        var jobEnded = false;
        lock (_gate)
        {
            spec.State = TaskState.Queued;
            if (!_classes.TryGetValue(spec.Resources, out var cls))
            {
                cls = new SchedulingClass(spec.Resources, this);
                _classes[spec.Resources] = cls;
            }

            // Both checked under the lock that RemovedGroupWork.Take and FinishedJobs.Take take queued tasks under: none
            // slips past them.
            if ((!RemovedGroups.IsEmpty && (removed = RemovedGroups.GroupOf(spec, cls.Claim)) is not null)
                || (!FinishedJobs.IsEmpty && (jobEnded = FinishedJobs.Contains(spec.JobDriver))))
            {
                spec.State = TaskState.Waiting;
            }
            else
            {
                cls.Ready.Enqueue(spec);
                if (cls.Ready.Count == 1)
                {
                    _waitingClasses.Add(cls);
                }

                GrantLocked(ref started);
            }
        }

        if (removed is { } group)
        {
            _runner.Refuse(spec, RemovedPlacementGroups.TaskError(spec, group));
            return;
        }

        if (jobEnded)
        {
            _runner.Refuse(spec, FinishedJobs.TaskError(spec));
            return;
        }

        Start(started);
    }

    /// <summary>Called by a lease after each task: the next task of its shape, or null after releasing the lease.</summary>
    public TaskSpec? TakeNext(Lease lease)
    {
        var started = default(StartedLeases);
        TaskSpec? next = null;
        lock (_gate)
        {
            if (lease.Abandoned)
            {
                _leases.Remove(lease.Id);
                return null;
            }

            var cls = lease.Class;
            cls.Finished++;
            // A task that returned with waits still open (started in the background) gave its CPUs back: the lease
            // ends rather than take them again for the next task past what is free; that task gets a lease of its own.
            var yieldToOthers = lease.Blocked || (lease.Executed >= FairnessQuantum && HasStarvedClassLocked(cls));
            if (!yieldToOthers)
            {
                while (cls.Ready.Count > 0)
                {
                    var candidate = cls.Ready.Dequeue();
                    if (cls.Ready.Count == 0)
                    {
                        _waitingClasses.Remove(cls);
                    }

                    if (!candidate.Cancelled)
                    {
                        next = candidate;
                        break;
                    }
                }
            }

            if (next is null)
            {
                ReleaseLeaseLocked(lease);
                GrantLocked(ref started);
            }
            else
            {
                next.State = TaskState.Running;
                next.RunningLease = lease;
                lease.Current = next;
            }
        }

        Start(started);
        return next;
    }

    /// <summary>True when a task of <paramref name="shape"/> would start now: its resources are free and no task of its
    /// shape is queued ahead of it.</summary>
    public bool CanStartNow(ResourceSet shape)
    {
        lock (_gate)
        {
            if (!_classes.TryGetValue(shape, out var cls))
            {
                // The class (and its resource claim) is made once per shape, as queuing the shape would make it.
                cls = new SchedulingClass(shape, this);
                _classes[shape] = cls;
            }
            else if (cls.Ready.Count > 0)
            {
                return false;
            }

            return shape.IsEmpty ? cls.ActiveLeases < ZeroResourceLeaseLimit(cls) : _resources.Fits(cls.Claim);
        }
    }

    private bool HasStarvedClassLocked(SchedulingClass except)
    {
        foreach (var cls in _waitingClasses)
        {
            if (!ReferenceEquals(cls, except) && cls.ActiveLeases == 0 && cls.Ready.Count > 0)
            {
                return true;
            }
        }

        return false;
    }

    private void GrantLocked(ref StartedLeases started)
    {
        // Actors first, in arrival order among those that fit: they are long-lived and were asked for before any task
        // now queued. One that does not fit (or fits no node at all) must not hold up smaller ones behind it.
        Resources.GrantActorsLocked();

        for (var i = 0; i < _waitingClasses.Count; i++)
        {
            var cls = _waitingClasses[i];
            while (cls.Ready.Count > 0 && CanGrantLocked(cls))
            {
                var spec = cls.Ready.Dequeue();
                if (spec.Cancelled)
                {
                    continue;
                }

                var lease = new Lease(++_nextLeaseId, cls, spec);
                spec.State = TaskState.Running;
                spec.RunningLease = lease;
                cls.ActiveLeases++;
                if (_resources.Take(cls.Claim) is { } gpus)
                {
                    lease.HoldGpus(gpus);
                }

                _leases[lease.Id] = lease;
                started.Add(lease);
            }

            if (cls.Ready.Count == 0)
            {
                _waitingClasses.RemoveAt(i);
                i--;
            }
            else
            {
                _starvation.ArmLocked(cls);
            }
        }
    }

    private bool CanGrantLocked(SchedulingClass cls) =>
        cls.Shape.IsEmpty ? cls.ActiveLeases < ZeroResourceLeaseLimit(cls) : _resources.Fits(cls.Claim);

    private void ReleaseLeaseLocked(Lease lease)
    {
        _leases.Remove(lease.Id);
        LeaseResources.End(_resources, lease);

        if (lease.Class.ExtraLeases > 0)
        {
            lease.Class.ExtraLeases--; // a lease of the shape ended: the stall it was granted for is over
        }
    }
}
