using Microsoft.Extensions.Logging;
using OrleansRay.Grains;
using OrleansRay.Execution;

namespace OrleansRay.Actors;

/// <summary>The host side of one actor: its instance, its lifecycle, and its calls ordered per caller.</summary>
/// <remarks>
/// Thread-safe: the host grain hands calls in, and execution happens on the node's worker threads (user methods may
/// block). Each caller's calls run in sequence order; a caller whose next call waits for an object argument does not
/// hold up other callers. With MaxConcurrency 1 a single drain loop runs calls one at a time; above 1, calls are
/// dispatched to worker threads up to that many at once.
/// </remarks>
internal sealed partial class ActorMailbox
{
    private readonly ActorServices _runtime;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly ActorCallQueues _queues;
    private readonly ActorReplies _replies;
    private readonly ActorStateReports _reports;
    private readonly RunningActorCalls _calls = new();

    /// <summary>The submitter of the calls this instance makes (a new instance is a new submitter).</summary>
    private ActorCaller _caller = ActorCaller.New();
    private ActorCreationSpec? _spec;
    private CompiledFunction? _constructor;
    private ActorState _state = ActorState.Pending;
    private object? _instance;
    private RayError? _deathCause;
    private int _restarts;
    private int _running;
    private int _generation;
    private readonly CancellationTokenSource _lifetime = new();
    private bool _draining;
    private bool _dirty;
    private bool _holdsResources;
    private bool _recovered;
    private long _callsRun;

    public ActorMailbox(ActorServices runtime, ILogger logger)
    {
        _runtime = runtime;
        _logger = logger;
        _replies = new ActorReplies(runtime, logger);
        _reports = new ActorStateReports(runtime, logger);
        _queues = new ActorCallQueues(runtime, _gate, Pump);
    }

    public ActorState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    public bool IsCreated => _spec is not null;

    /// <summary>Calls received and not finished (queued, waiting for arguments, or running).</summary>
    public int PendingCalls
    {
        get
        {
            lock (_gate)
            {
                return _queues.Count + _running + (_draining ? 1 : 0);
            }
        }
    }

    /// <summary>Calls run so far.</summary>
    public long CallsRun => Interlocked.Read(ref _callsRun);

    public ActorInfo? Info()
    {
        lock (_gate)
        {
            return _spec is null
                ? null
                : new ActorInfo(_spec.ActorId, _spec.Options.Name, _spec.Options.Namespace, _spec.ClassName, _state, _runtime.NodeId.Value ?? string.Empty, _restarts, _spec.Options.Detached);
        }
    }

    /// <summary>Starts creating the actor: waits for its resources, then runs the constructor. Idempotent.</summary>
    public void Start(ActorCreationSpec spec, int restarts = 0, bool recovered = false)
    {
        lock (_gate)
        {
            if (_spec is not null)
            {
                return;
            }

            _spec = spec;
            _restarts = restarts;
            _recovered = recovered;
        }

        _runtime.HostedActors.Add(spec.ActorId, this);

        _ = CreateAsync(spec);
    }

    /// <summary>An activation for an actor that cannot come back (unknown, killed, or out of restarts): every call fails
    /// with ActorDiedException saying why.</summary>
    public void StartDead(ActorCreationSpec spec, string why)
    {
        lock (_gate)
        {
            if (_spec is not null)
            {
                return;
            }

            _spec = spec;
        }

        _runtime.HostedActors.Add(spec.ActorId, this);
        Die(RayError.Create(RayErrorKind.ActorDied, $"Actor {spec.ClassName} ({spec.ActorId}) is dead: {why}.", actorId: spec.ActorId));
    }

    private async Task CreateAsync(ActorCreationSpec spec)
    {
        try
        {
            _constructor = FunctionRegistry.Resolve(spec.Constructor);
            await _runtime.Scheduler.AcquireForActorAsync(spec.Options.Resources, spec.ActorId, _lifetime.Token).ConfigureAwait(false);
            lock (_gate)
            {
                _holdsResources = true;
                if (_state == ActorState.Dead)
                {
                    // Killed while waiting for resources.
                    ReleaseResourcesLocked();
                    return;
                }
            }

            await ConstructAsync(_generation).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
        {
            // Killed while waiting for resources: Die already ran and reported it.
        }
        catch (Exception ex)
        {
            Die(RayError.Create(RayErrorKind.ActorDied, $"Actor {spec.ClassName} ({spec.ActorId}) could not be created: {ex.Message}", actorId: spec.ActorId));
        }
    }

    private async Task ConstructAsync(int generation)
    {
        var spec = _spec!;
        ActorCaller caller;
        lock (_gate)
        {
            caller = _caller;
        }

        var (instance, failure) = await ActorInstance.ConstructAsync(_runtime, spec, _constructor!, caller).ConfigureAwait(false);
        if (failure is not null)
        {
            Die(failure);
            return;
        }

        lock (_gate)
        {
            if (_state == ActorState.Dead || generation != _generation)
            {
                return;
            }

            _instance = instance;
            _state = ActorState.Alive;
        }

        LogActorAlive(_logger, spec.ClassName, spec.ActorId);
        _reports.ReportState(spec.ActorId, ActorState.Alive);
        Pump();
    }

    /// <summary>Accepts calls (any order within a caller; duplicates ignored) and starts running what can run.</summary>
    public void Submit(ActorCallBatch batch)
    {
        RayError? dead = null;
        _replies.Learn(batch);
        lock (_gate)
        {
            if (_state == ActorState.Dead)
            {
                dead = _deathCause;
            }
            else
            {
                foreach (var call in batch.Calls)
                {
                    _queues.Add(call, _recovered);
                }
            }
        }

        if (dead is not null)
        {
            foreach (var call in batch.Calls)
            {
                _replies.Deliver(call, null, dead);
            }

            return;
        }

        Pump();
    }

    /// <summary>Cancels one call: skipped if queued (or when it arrives), its token cancelled if running.</summary>
    public void CancelCall(WorkerId caller, long sequence)
    {
        CancellationTokenSource? running = null;
        lock (_gate)
        {
            if (_state == ActorState.Dead)
            {
                return;
            }

            running = _calls.Find(caller, sequence);
            if (running is null)
            {
                _queues.Cancel(caller, sequence);
            }
        }

        CancelRunning(running);
        Pump();
    }

    private void CancelRunning(CancellationTokenSource? running)
    {
        try
        {
            running?.Cancel();
        }
        catch (AggregateException ex)
        {
            // A callback the actor's code registered threw; the cancel itself happened.
            LogCancelCallbackFailed(_logger, _spec?.ClassName ?? "?", ex);
        }
    }

    /// <summary>Kills the actor, or restarts it when asked and MaxRestarts allows.</summary>
    public void Kill(bool noRestart, string reason)
    {
        var spec = _spec;
        if (spec is null)
        {
            return;
        }

        bool restart;
        int generation;
        object? old;
        List<RunningActorCalls.Running> abandoned = new();
        lock (_gate)
        {
            if (_state == ActorState.Dead)
            {
                return;
            }

            restart = !noRestart && _restarts < spec.Options.MaxRestarts;
            if (!restart)
            {
                old = null;
                generation = _generation;
            }
            else
            {
                _restarts++;
                _generation++;
                generation = _generation;
                _state = ActorState.Restarting;
                old = _instance;
                _instance = null;
                abandoned = AbandonRunningLocked();
            }
        }

        if (!restart)
        {
            Die(RayError.Create(RayErrorKind.ActorDied, $"Actor {spec.ClassName} ({spec.ActorId}) was killed: {reason}", actorId: spec.ActorId));
            return;
        }

        LogActorRestarting(_logger, spec.ClassName, spec.ActorId, _restarts);
        foreach (var (call, cancel) in abandoned)
        {
            CancelRunning(cancel);
            _replies.Deliver(call, null, RayError.Create(RayErrorKind.ActorDied, $"Actor {spec.ClassName} ({spec.ActorId}) restarted while {call.Method.DisplayName} was running: {reason}", call.Method.DisplayName, spec.ActorId));
        }

        ActorInstance.Dispose(old);
        _ = ConstructAsync(generation);
    }

    private void Die(RayError cause)
    {
        List<ActorCall> orphaned;
        List<RunningActorCalls.Running> abandoned;
        object? old;
        ActorCreationSpec? spec;
        lock (_gate)
        {
            if (_state == ActorState.Dead)
            {
                return;
            }

            _state = ActorState.Dead;
            _deathCause = cause;
            _generation++;
            old = _instance;
            _instance = null;
            spec = _spec;
            orphaned = _queues.TakeAll();
            abandoned = AbandonRunningLocked();
            ReleaseResourcesLocked();
        }

        // Withdraws a resource request still waiting (an actor killed before it was placed).
        _lifetime.Cancel();
        if (spec is not null)
        {
            _runtime.HostedActors.Died(spec.ActorId);
        }

        if (spec is not null && !spec.ActorId.IsEmpty)
        {
            _reports.ReportState(spec.ActorId, ActorState.Dead);
        }

        LogActorDied(_logger, spec?.ClassName ?? "?", spec?.ActorId ?? default, cause.Message);
        // Ray kills the actor's process: a running call's result fails now, even if its code never returns.
        foreach (var (call, cancel) in abandoned)
        {
            CancelRunning(cancel);
            _replies.Deliver(call, null, cause);
        }

        foreach (var call in orphaned)
        {
            _replies.Deliver(call, null, cause);
        }

        ActorInstance.Dispose(old);
        if (spec is not null && !string.IsNullOrEmpty(spec.Options.Name))
        {
            _reports.Unregister(spec);
        }
    }

    /// <summary>The instance is going away (its generation ended): its running calls are given up, as a forced cancel
    /// gives up a task; the drain loop still in user code stops when that code returns, and a new loop serves the next
    /// instance.</summary>
    private List<RunningActorCalls.Running> AbandonRunningLocked()
    {
        _draining = false;
        _running = 0;
        _caller = ActorCaller.New();
        return _calls.TakeAll();
    }

    private void ReleaseResourcesLocked()
    {
        if (_holdsResources && _spec is not null)
        {
            _holdsResources = false;
            _runtime.Scheduler.ReleaseForActor(_spec.Options.Resources);
        }
    }

    /// <summary>Starts running calls if the actor is alive, something can run, and concurrency allows.</summary>
    private void Pump()
    {
        var max = Math.Max(1, _spec?.Options.MaxConcurrency ?? 1);
        if (max == 1)
        {
            int drainGeneration;
            lock (_gate)
            {
                // _dirty tells a running drain loop to look again before it stops (an argument became ready meanwhile).
                _dirty = true;
                if (_draining || _state != ActorState.Alive)
                {
                    return;
                }

                _draining = true;
                drainGeneration = _generation;
            }

            _ = _runtime.Pool.Run(() => DrainAsync(drainGeneration));
            return;
        }

        while (true)
        {
            ActorCall? call;
            int generation;
            lock (_gate)
            {
                if (_state != ActorState.Alive || _running >= max || !_queues.TryTake(out call))
                {
                    return;
                }

                _running++;
                generation = _generation;
            }

            _ = _runtime.Pool.Run(async () =>
            {
                await ExecuteAsync(call!, generation).ConfigureAwait(false);
                lock (_gate)
                {
                    // A call of an ended instance was already given up and its count reset.
                    if (generation == _generation)
                    {
                        _running--;
                    }
                }

                Pump();
            });
        }
    }

    private async Task DrainAsync(int generation)
    {
        while (true)
        {
            ActorCall? call;
            lock (_gate)
            {
                while (true)
                {
                    if (generation != _generation)
                    {
                        // The instance this loop served is gone; the next instance has its own loop.
                        return;
                    }

                    if (_state != ActorState.Alive)
                    {
                        _draining = false;
                        return;
                    }

                    _dirty = false;
                    if (_queues.TryTake(out call))
                    {
                        break;
                    }

                    if (!_dirty)
                    {
                        _draining = false;
                        return;
                    }
                }
            }

            var run = ExecuteAsync(call!, generation);
            if (!run.IsCompletedSuccessfully)
            {
                await run.ConfigureAwait(false);
            }
        }
    }
}
