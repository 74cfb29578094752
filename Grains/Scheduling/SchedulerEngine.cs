using Microsoft.Extensions.Logging;
using OrleansRay.Execution;
using OrleansRay.Node;

namespace OrleansRay.Scheduling;

/// <summary>The node's scheduler: holds tasks until their arguments exist, admits them when their resources are free,
/// and hands them to worker leases. Also the ledger for actors' resources and placement-group bundles.</summary>
/// <remarks>
/// One lock guards the ledger, the ready queues and the leases; every critical section is O(1) amortized, so it stays
/// off the profile at 100k tasks/s. Leases are started outside the lock through <see cref="LeaseStarter"/> (the
/// executor grain), and run on the <see cref="WorkerPool"/>.
/// </remarks>
internal sealed partial class SchedulerEngine
{
    /// <summary>A lease gives way to starved shapes after this many tasks, so one busy shape cannot hold the node (fairness vs. re-grant cost).</summary>
    private const int FairnessQuantum = 256;

    private readonly object _gate = new();
    private readonly Dictionary<ResourceSet, SchedulingClass> _classes = new();
    private readonly List<SchedulingClass> _waitingClasses = new();
    private readonly Dictionary<long, Lease> _leases = new();
    private readonly LinkedList<ActorResourceRequest> _pendingActors = new();
    private readonly ResourceLedger _resources;
    private readonly ILogger _logger;
    private readonly int _zeroResourceLeaseCap;
    private long _nextLeaseId;
    private int _waitingForArgs;
    private long _finished;
    private long _failed;
    private long _submitted;

    private readonly TimeProvider _timeProvider;

    public SchedulerEngine(ResourceSet total, ILogger logger, TimeProvider? timeProvider = null)
    {
        _resources = new ResourceLedger(total);
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = logger;

        // Tasks and actors that ask for no resources are not bounded by the ledger; cap their concurrent leases so a
        // burst of them cannot create thousands of threads (Ray bounds them by its worker-process count).
        _zeroResourceLeaseCap = Math.Max(8, 4 * Environment.ProcessorCount);
    }

    /// <summary>Starts a granted lease (set by the node runtime: a call to the local executor grain).</summary>
    public Func<long, Task>? LeaseStarter { get; set; }

    /// <summary>Runs a lease's loop on the worker threads (set by the node runtime).</summary>
    public Func<Lease, Task>? LeaseRunner { get; set; }

    /// <summary>Decides whether a task this node owns runs elsewhere (set by the node runtime in a cluster): returns true
    /// when it took the task off this node. Not asked for tasks run here for other owners.</summary>
    public Func<TaskSpec, bool>? Placer { get; set; }

    /// <summary>Runs one task (set by the node runtime).</summary>
    public Func<TaskSpec, Lease, ValueTask>? TaskRunner { get; set; }

    /// <summary>The node's total, its placement-group bundles included under Ray's names (see <see cref="BundleKey"/>).</summary>
    public ResourceSet Total => _resources.Total;

    public long SubmittedCount => Interlocked.Read(ref _submitted);

    public long FinishedCount => Interlocked.Read(ref _finished);

    public long FailedCount => Interlocked.Read(ref _failed);

    private long _sentElsewhere;

    /// <summary>Tasks submitted here that ran (or were sent to run) on another node.</summary>
    public long SentElsewhereCount => Interlocked.Read(ref _sentElsewhere);

    /// <summary>Counts a task of this node sent to another one (its first send only).</summary>
    public void RecordSentElsewhere() => Interlocked.Increment(ref _sentElsewhere);

    /// <summary>Accepts a task whose owner is on this node: waits for its object arguments, then queues it.</summary>
    public void Submit(TaskSpec spec, NodeRuntime objects)
    {
        Interlocked.Increment(ref _submitted);
        var pending = 0;
        foreach (var arg in spec.Args)
        {
            if (arg.IsRef)
            {
                if (!objects.TryGetArgument(arg, out var entry))
                {
                    spec.Result.TrySetError(RayError.Create(RayErrorKind.ObjectLost, $"Argument object {arg.RefId} of {spec.DisplayName} no longer exists.", spec.DisplayName));
                    return;
                }

                if (!entry.IsComplete)
                {
                    pending++;
                }
            }
        }

        if (pending == 0)
        {
            Enqueue(spec);
            return;
        }

        spec.PendingDependencies = pending + 1; // +1 guards against callbacks firing before registration ends
        Interlocked.Increment(ref _waitingForArgs);
        foreach (var arg in spec.Args)
        {
            if (arg.IsRef && objects.TryGetArgument(arg, out var entry) && !entry.IsComplete)
            {
                entry.OnComplete(_ => DependencyReady(spec));
            }
        }

        DependencyReady(spec);
    }

    private void DependencyReady(TaskSpec spec)
    {
        if (Interlocked.Decrement(ref spec.PendingDependencies) == 0)
        {
            Interlocked.Decrement(ref _waitingForArgs);
            Enqueue(spec);
        }
    }

    /// <summary>Puts a ready task (or a retry) in its shape's queue and grants leases if resources allow.</summary>
    public void Enqueue(TaskSpec spec)
    {
        if (spec.Cancelled)
        {
            return;
        }

        if (!spec.IsForeign && Placer is { } placer && placer(spec))
        {
            return;
        }

        EnqueueHere(spec);
    }

    /// <summary>Queues a task on this node without asking the placer (it chose this node).</summary>
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

        List<Lease>? started = null;
        lock (_gate)
        {
            spec.State = TaskState.Queued;
            if (!_classes.TryGetValue(spec.Resources, out var cls))
            {
                cls = new SchedulingClass(spec.Resources, this);
                _classes[spec.Resources] = cls;
            }

            cls.Ready.Enqueue(spec);
            if (cls.Ready.Count == 1)
            {
                _waitingClasses.Add(cls);
            }

            GrantLocked(ref started);
        }

        Start(started);
    }

    /// <summary>Called by a lease after each task: the next task of its shape, or null after releasing the lease.</summary>
    public TaskSpec? TakeNext(Lease lease)
    {
        List<Lease>? started = null;
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
            var yieldToOthers = lease.Executed >= FairnessQuantum && HasStarvedClassLocked(cls);
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
            if (_classes.TryGetValue(shape, out var cls) && cls.Ready.Count > 0)
            {
                return false;
            }

            return shape.IsEmpty
                ? (cls is null || cls.ActiveLeases < ZeroResourceLeaseLimit(cls))
                : _resources.Fits(cls?.Claim ?? ResourceClaim.Of(shape));
        }
    }

    /// <summary>Takes up to <paramref name="max"/> queued tasks this node owns whose shape <paramref name="take"/>
    /// accepts, newest first (the oldest keep their place here): the placer moves them to nodes with room.</summary>
    public List<TaskSpec> TakeQueued(Func<ResourceSet, bool> take, int max)
    {
        var taken = new List<TaskSpec>();
        lock (_gate)
        {
            for (var i = 0; i < _waitingClasses.Count && taken.Count < max; i++)
            {
                var cls = _waitingClasses[i];
                if (cls.Ready.Count == 0 || !take(cls.Shape))
                {
                    continue;
                }

                var all = cls.Ready.ToArray();
                var keep = new Queue<TaskSpec>(all.Length);
                var room = max - taken.Count;
                var cut = Math.Max(0, all.Length - room);
                for (var j = 0; j < all.Length; j++)
                {
                    var s = all[j];
                    if (j >= cut && !s.IsForeign && !s.Cancelled)
                    {
                        taken.Add(s);
                    }
                    else if (!s.Cancelled)
                    {
                        keep.Enqueue(s);
                    }
                }

                cls.Ready.Clear();
                foreach (var s in keep)
                {
                    cls.Ready.Enqueue(s);
                }

                if (cls.Ready.Count == 0)
                {
                    _waitingClasses.RemoveAt(i);
                    i--;
                }
            }
        }

        return taken;
    }

    /// <summary>Queued tasks per shape, for the placer's rebalancing.</summary>
    public List<(ResourceSet Shape, int Count)> QueuedShapes()
    {
        lock (_gate)
        {
            return _waitingClasses.Where(c => c.Ready.Count > 0).Select(c => (c.Shape, c.Ready.Count)).ToList();
        }
    }

    /// <summary>Takes a cancelled task out of its ready queue, so it no longer shows as a demand.</summary>
    public void RemoveQueued(TaskSpec spec)
    {
        lock (_gate)
        {
            if (spec.State != TaskState.Queued || !_classes.TryGetValue(spec.Resources, out var cls) || cls.Ready.Count == 0)
            {
                return;
            }

            var kept = cls.Ready.Where(s => !ReferenceEquals(s, spec)).ToArray();
            cls.Ready.Clear();
            foreach (var s in kept)
            {
                cls.Ready.Enqueue(s);
            }

            if (cls.Ready.Count == 0)
            {
                _waitingClasses.Remove(cls);
            }
        }
    }

    /// <summary>Counts a finished task (success or failure) for metrics.</summary>
    public void RecordFinished(bool failed)
    {
        if (failed)
        {
            Interlocked.Increment(ref _failed);
        }
        else
        {
            Interlocked.Increment(ref _finished);
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

    /// <summary>Reserves an actor's resources for its lifetime; completes when they are free (FIFO among actors).</summary>
    public Task AcquireForActorAsync(ResourceSet shape, ActorId actorId, CancellationToken cancellationToken)
    {
        var claim = ResourceClaim.Of(shape);
        lock (_gate)
        {
            if (_resources.Fits(claim))
            {
                _resources.Take(claim);
                return Task.CompletedTask;
            }

            var request = new ActorResourceRequest(claim, actorId);
            var node = _pendingActors.AddLast(request);
            if (cancellationToken.CanBeCanceled)
            {
                request.Cancellation = cancellationToken.Register(() =>
                {
                    lock (_gate)
                    {
                        if (node.List is not null)
                        {
                            _pendingActors.Remove(node);
                        }
                    }

                    request.Completion.TrySetCanceled(cancellationToken);
                });
            }

            return request.Completion.Task;
        }
    }

    /// <summary>Returns an actor's resources when it dies.</summary>
    public void ReleaseForActor(ResourceSet shape)
    {
        var claim = ResourceClaim.Of(shape);
        List<Lease>? started = null;
        lock (_gate)
        {
            _resources.Return(claim);
            GrantLocked(ref started);
        }

        Start(started);
    }

    /// <summary>Changes the node's own total (e.g. a test or a resize), bundles kept as reserved; the free amounts move
    /// by the same difference.</summary>
    public void SetTotal(ResourceSet total)
    {
        List<Lease>? started = null;
        lock (_gate)
        {
            _resources.SetNodeTotal(total);
            GrantLocked(ref started);
        }

        Start(started);
    }

    /// <summary>Reserves placement-group bundles on this node, all or none: their resources leave the free pool for the
    /// bundle ledger, where only the group's tasks and actors (whose shapes name the bundle) take them. Bundles already
    /// held here (a retried reservation) are not reserved twice.</summary>
    public bool ReserveBundles(IReadOnlyList<BundleReservation> bundles)
    {
        ArgumentNullException.ThrowIfNull(bundles);
        if (bundles.Count == 0)
        {
            return true;
        }

        List<Lease>? started = null;
        lock (_gate)
        {
            if (!_resources.ReserveBundles(bundles))
            {
                return false;
            }

            GrantLocked(ref started);
        }

        Start(started);
        return true;
    }

    /// <summary>Returns a placement group's bundles on this node to the free pool. What its running tasks hold of them
    /// is dropped when they end.</summary>
    public void ReleaseBundles(Guid placementGroupId)
    {
        List<Lease>? started = null;
        lock (_gate)
        {
            if (!_resources.ReleaseBundles(placementGroupId))
            {
                return;
            }

            GrantLocked(ref started);
        }

        Start(started);
    }

    /// <summary>The free resources now, bundles included under their names.</summary>
    public ResourceSet Available()
    {
        lock (_gate)
        {
            return _resources.Available();
        }
    }

    /// <summary>Pending work by shape: ready tasks waiting for resources, and actors waiting to be placed; a shape this
    /// node could never hold is marked infeasible.</summary>
    public IReadOnlyList<ResourceDemandInfo> Demands()
    {
        lock (_gate)
        {
            var result = new List<ResourceDemandInfo>();
            foreach (var cls in _waitingClasses)
            {
                if (cls.Ready.Count > 0)
                {
                    result.Add(new ResourceDemandInfo(cls.Shape, cls.Ready.Count, !_resources.FitsTotal(cls.Claim), IsActor: false));
                }
            }

            foreach (var group in _pendingActors.GroupBy(a => a.Shape))
            {
                result.Add(new ResourceDemandInfo(group.Key, group.Count(), !_resources.FitsTotal(group.First().Claim), IsActor: true));
            }

            return result;
        }
    }

    /// <summary>Tasks waiting for object arguments.</summary>
    public int WaitingForArgs => Volatile.Read(ref _waitingForArgs);

    /// <summary>Tasks queued for resources.</summary>
    public int QueuedCount
    {
        get
        {
            lock (_gate)
            {
                return _waitingClasses.Sum(c => c.Ready.Count);
            }
        }
    }

    /// <summary>Tasks running now.</summary>
    public int RunningCount
    {
        get
        {
            lock (_gate)
            {
                return _leases.Count;
            }
        }
    }

    /// <summary>Runs a granted lease's loop; called from the executor grain.</summary>
    public Task RunLeaseAsync(long leaseId)
    {
        Lease? lease;
        lock (_gate)
        {
            _leases.TryGetValue(leaseId, out lease);
        }

        return lease is null ? Task.CompletedTask : LeaseRunner!(lease);
    }

    /// <summary>The lease loop: runs tasks of the lease's shape until <see cref="TakeNext"/> says stop.</summary>
    public async Task RunLoopAsync(Lease lease)
    {
        var spec = lease.Next;
        lease.Next = null;
        while (spec is not null)
        {
            var run = TaskRunner!(spec, lease);
            if (!run.IsCompletedSuccessfully)
            {
                await run;
            }

            lease.Executed++;
            spec = TakeNext(lease);
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

    private void GrantLocked(ref List<Lease>? started)
    {
        // Actors first, in arrival order among those that fit: they are long-lived and were asked for before any task
        // now queued. One that does not fit (or fits no node at all) must not hold up smaller ones behind it.
        for (var node = _pendingActors.First; node is not null;)
        {
            var next = node.Next;
            if (_resources.Fits(node.Value.Claim))
            {
                _pendingActors.Remove(node);
                _resources.Take(node.Value.Claim);
                node.Value.Grant();
            }

            node = next;
        }

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
                _resources.Take(cls.Claim);
                _leases[lease.Id] = lease;
                (started ??= new List<Lease>()).Add(lease);
            }

            if (cls.Ready.Count == 0)
            {
                _waitingClasses.RemoveAt(i);
                i--;
            }
            else
            {
                ArmStarvationCheckLocked(cls);
            }
        }
    }

    private bool CanGrantLocked(SchedulingClass cls) =>
        cls.Shape.IsEmpty ? cls.ActiveLeases < ZeroResourceLeaseLimit(cls) : _resources.Fits(cls.Claim);

    private void ReleaseLeaseLocked(Lease lease)
    {
        _leases.Remove(lease.Id);
        if (!lease.Blocked)
        {
            lease.Class.ActiveLeases--;
            _resources.Return(lease.Class.Claim);
        }

        if (lease.Class.ExtraLeases > 0)
        {
            lease.Class.ExtraLeases--; // a lease of the shape ended: the stall it was granted for is over
        }
    }

    private void Start(List<Lease>? leases)
    {
        if (leases is null)
        {
            return;
        }

        foreach (var lease in leases)
        {
            if (LeaseStarter is null)
            {
                _ = LeaseRunner!(lease);
                continue;
            }

            // The executor grain is called from a thread-pool thread, never from the caller's thread: the caller may be
            // user code on a worker thread that is about to block, and Orleans must not run any of the call's
            // continuations there (seen: lease starts stuck behind a blocked task's thread).
            ThreadPool.UnsafeQueueUserWorkItem(static state => state.Engine.StartThroughExecutor(state.Lease), (Engine: this, Lease: lease), preferLocal: false);
        }
    }

    private void StartThroughExecutor(Lease lease)
    {
        var starter = LeaseStarter;
        Task start;
        try
        {
            start = starter is null ? LeaseRunner!(lease) : starter(lease.Id);
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
            _ = LeaseRunner!(lease);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Starting lease {LeaseId} through the executor grain failed; running it directly")]
    private static partial void LogLeaseStartFailed(ILogger logger, long leaseId, Exception exception);
}
