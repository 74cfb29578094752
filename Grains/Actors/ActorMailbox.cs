using Microsoft.Extensions.Logging;
using OrleansRay.Grains;
using OrleansRay.Execution;

namespace OrleansRay.Actors;

/// <summary>The host side of one actor: its instance, its lifecycle, and its calls ordered per caller.</summary>
/// <remarks>
/// Thread-safe: the host grain hands calls in, and execution happens on the node's worker threads (user methods may
/// block). Each caller's calls run in sequence order; a caller whose next call waits for an object argument does not
/// hold up other callers. With MaxConcurrency 1 a single drain loop runs calls one at a time; above 1, calls are
/// dispatched to worker threads up to that many at once; an async actor or one with concurrency groups runs them
/// through its <see cref="ConcurrencyGroups"/>.
/// </remarks>
internal sealed class ActorMailbox
{
    private readonly ActorServices _runtime;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly ActorCallQueues _queues;
    private readonly ActorStateReports _reports;
    private readonly RunningActorCalls _calls = new();
    public ActorCallDispatcher Dispatcher { get; }

    /// <summary>The submitter of the calls this instance makes (a new instance is a new submitter).</summary>
    private ActorCaller _caller = ActorCaller.New();
    private ActorCreationSpec? _spec;

    /// <summary>The job code package of the actor's class, held while the actor lives.</summary>
    private readonly ActorCodeHold _code = new();
    private ActorState _state = ActorState.Pending;
    private object? _instance;
    private RayError? _deathCause;
    private int _restarts;

    /// <summary>The node a dead-started actor lived on (<see cref="StartDead"/>), which <see cref="Info"/> shows.</summary>
    private string? _livedOn;
    private int _generation;
    public ActorResourceHold Resources { get; } = new(); // held for life; ActorGrain.GpuIds reads its GPUs
    private long _callsRun;

    public ActorMailbox(ActorServices runtime, ILogger logger)
    {
        _runtime = runtime;
        _logger = logger;
        Replies = new ActorReplies(runtime, logger);
        _reports = new ActorStateReports(runtime, logger);
        _queues = new ActorCallQueues(runtime, _gate, () => Dispatcher!.Pump());
        Dispatcher = new ActorCallDispatcher(this, runtime, _gate, _queues);
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

    /// <summary>True once the host grain activation that owns this mailbox deactivated: callers must not feed it directly.</summary>
    public volatile bool HostDetached;

    /// <summary>Where this actor's results (and its generators' items) go.</summary>
    internal ActorReplies Replies { get; }

    /// <summary>For an actor behind a grain interface: what its grain activation on this node serves calls by.</summary>
    public GrainActorLifecycle? Grain { get; private set; }

    /// <summary>The actor, its job's driver (<see cref="ActorCreationSpec.Owner"/>), and whether it outlives that job; null before creation.</summary>
    public (ActorId Id, WorkerId Owner, bool Detached)? Ownership => _spec is { } spec ? (spec.ActorId, spec.Owner, spec.Options.Detached) : null;

    /// <summary>Times a call lost with this actor's node may be re-sent by its caller (0 until the actor is known).</summary>
    public int MaxTaskRetries => _spec?.Options.MaxTaskRetries ?? 0;

    /// <summary>Calls received and not finished (queued, waiting for arguments, or running).</summary>
    public int PendingCalls
    {
        get
        {
            lock (_gate)
            {
                return _queues.Count + Dispatcher.InFlightLocked;
            }
        }
    }

    /// <summary>Calls run so far.</summary>
    public long CallsRun => Interlocked.Read(ref _callsRun) + (Grain?.CallsRun ?? 0);

    public ActorInfo? Info()
    {
        lock (_gate)
        {
            return _spec is null
                ? null
                : new ActorInfo(_spec.ActorId, _spec.Options.Name, _spec.Options.Namespace, _spec.ClassName, _state, _livedOn ?? _runtime.NodeId.Value ?? string.Empty, _restarts, _spec.Options.Detached);
        }
    }

    /// <summary>Starts creating the actor: waits for its resources, then runs the constructor. Idempotent.</summary>
    public void Start(ActorCreationSpec spec, int restarts = 0)
    {
        if (TryClaim(spec, restarts, livedOn: null))
        {
            _ = CreateAsync(spec);
        }
    }

    /// <summary>An activation for an actor that cannot come back (unknown, killed, or out of restarts): every call fails
    /// with ActorDiedException saying why. <paramref name="livedOn"/>: the node the actor lived on, when known.</summary>
    public void StartDead(ActorCreationSpec spec, string why, string livedOn = "")
    {
        if (TryClaim(spec, 0, livedOn.Length > 0 ? livedOn : null))
        {
            Die(RayError.Create(RayErrorKind.ActorDied, $"Actor {spec.ClassName} ({spec.ActorId}) is dead: {why}.", actorId: spec.ActorId));
        }
    }

    /// <summary>Makes this mailbox <paramref name="spec"/>'s and registers it with the node; false when it has an actor.</summary>
    private bool TryClaim(ActorCreationSpec spec, int restarts, string? livedOn)
    {
        lock (_gate)
        {
            if (_spec is not null)
            {
                return false;
            }

            _spec = spec;
            _restarts = restarts;
            _livedOn = livedOn;
            Grain = spec.GrainType is null ? null : new GrainActorLifecycle();
        }

        _runtime.HostedActors.Add(spec.ActorId, this);
        return true;
    }

    private async Task CreateAsync(ActorCreationSpec spec)
    {
        try
        {
            if (Grain is null && !await _code.AcquireAsync(_runtime, spec.Constructor).ConfigureAwait(false))
            {
                return; // killed while its code loaded: a dead mailbox keeps nothing of the job's code
            }

            await Resources.AcquireAsync(_runtime, spec).ConfigureAwait(false);
            lock (_gate)
            {
                Resources.Held();
                if (_state == ActorState.Dead || Resources.HandedOver)
                {
                    // Killed (or handed to another node) while waiting for resources.
                    Resources.Release(_runtime, _spec);
                    return;
                }
            }

            await ConstructAsync(_generation).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (Resources.Withdrawn)
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

        // An actor behind a grain interface has no instance here: its grain activation is the instance.
        var (instance, failure) = Grain is not null ? (null, null) : await ActorInstance.ConstructAsync(_runtime, spec, _code.Constructor!, caller, restarted: Volatile.Read(ref _restarts) > 0, Resources.Gpus?.Ids).ConfigureAwait(false);
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

        ActorLog.ActorAlive(_logger, spec.ClassName, spec.ActorId);
        Grain?.Alive();
        _reports.ReportState(spec.ActorId, ActorState.Alive, Volatile.Read(ref _restarts));
        Dispatcher.Pump(); // runs calls if the actor is alive, something can run, and concurrency allows
    }

    /// <summary>Accepts calls (any order within a caller; duplicates and calls below the batch's floor ignored) and starts
    /// running what can run.</summary>
    public void Submit(ActorCallBatch batch) => Submit(batch.Calls, batch.ReplyTo, batch.Floor);

    /// <summary>As <see cref="Submit(ActorCallBatch)"/> without a batch around the calls (a caller in this process): calls
    /// of one caller, whose results go to <paramref name="replyTo"/>, and its <paramref name="floor"/>.</summary>
    public void Submit(ReadOnlySpan<ActorCall> calls, Grains.INodeEndpoint? replyTo, long floor)
    {
        RayError? dead = null;
        if (calls.Length > 0)
        {
            Replies.Learn(calls[0].Owner, replyTo);
        }

        lock (_gate)
        {
            if (Resources.HandedOver && ActorHandover.Forward(_runtime, _spec!.ActorId, calls, replyTo, floor))
            {
                return;
            }

            if (_state == ActorState.Dead)
            {
                dead = _deathCause;
            }
            else
            {
                foreach (var call in calls)
                {
                    _queues.Add(call, floor);
                }
            }
        }

        if (dead is not null)
        {
            foreach (var call in calls)
            {
                Replies.Deliver(call, null, dead);
            }

            return;
        }

        Dispatcher.Pump();
    }

    /// <summary>Cancels one call: skipped if queued (or when it arrives), its token cancelled if running.</summary>
    public void CancelCall(WorkerId caller, long sequence)
    {
        TaskContext? running = null;
        lock (_gate)
        {
            if (_state == ActorState.Dead)
            {
                return;
            }

            running = _calls.Find(caller, sequence);
            if (running is null && !Dispatcher.RemoveReadyLocked(caller, sequence))
            {
                _queues.Cancel(caller, sequence);
            }
        }

        RunningActorCalls.Cancel(running, _logger, _spec?.ClassName);
        Dispatcher.Pump();
    }

    /// <summary>A grain actor's activation failed to start (Ray: its constructor threw): it dies, whatever its MaxRestarts.</summary>
    public void StartFailed(Exception ex) =>
        Die(RayError.Create(RayErrorKind.ActorDied, $"Actor {_spec?.ClassName} ({_spec?.ActorId}) could not be created: {ex.GetType().Name}: {ex.Message}", actorId: _spec?.ActorId ?? default));

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
            old = null;
            if (restart)
            {
                _restarts++;
                _generation++;
                _state = ActorState.Restarting;
                old = _instance;
                _instance = null;
                abandoned = AbandonRunningLocked();
            }

            generation = _generation;
        }

        if (!restart)
        {
            Die(RayError.Create(RayErrorKind.ActorDied, ActorKills.DeathCause(spec, reason, noRestart), actorId: spec.ActorId));
            return;
        }

        ActorLog.ActorRestarting(_logger, spec.ClassName, spec.ActorId, _restarts);
        RunningActorCalls.GiveUp(abandoned, Replies, _logger, spec.ClassName, call => RayError.Create(RayErrorKind.ActorDied, $"Actor {spec.ClassName} ({spec.ActorId}) restarted while {call.Method.DisplayName} was running: {reason}", call.Method.DisplayName, spec.ActorId));

        ActorInstance.Dispose(old);
        Grain?.Restarted();
        if (Resources.Holds)
        {
            _ = ConstructAsync(generation); // else the creation still waiting for resources constructs it, then
        }
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
            // For later calls; a job's actor keeps no exception object (it would keep the job's code loaded).
            _deathCause = _code.IsJobCode ? cause.WithoutOriginal() : cause;
            _generation++;
            old = _instance;
            _instance = null;
            _code.Release();
            spec = _spec;
            orphaned = _queues.TakeAll();
            orphaned.AddRange(Dispatcher.TakeReadyLocked());
            abandoned = AbandonRunningLocked();
            Resources.Release(_runtime, _spec);
        }

        // Withdraws a resource request still waiting (an actor killed before it was placed).
        Resources.Withdraw();
        Grain?.Died(cause);
        if (spec is not null)
        {
            _runtime.HostedActors.Died(spec.ActorId);
            _reports.Dead(spec); // its record says DEAD, and its name is free again before any caller hears of it
        }

        ActorLog.ActorDied(_logger, spec?.ClassName ?? "?", spec?.ActorId ?? default, cause.Message);
        // Ray kills the actor's process: a running call's result fails now, even if its code never returns.
        RunningActorCalls.GiveUp(abandoned, Replies, _logger, spec?.ClassName, _ => cause);
        foreach (var call in orphaned)
        {
            Replies.Deliver(call, null, cause);
        }

        ActorInstance.Dispose(old);
    }

    /// <summary>The instance is going away (its generation ended): its running calls are given up, as a forced cancel
    /// gives up a task; the drain loop still in user code stops when that code returns, and a new loop serves the next
    /// instance.</summary>
    private List<RunningActorCalls.Running> AbandonRunningLocked()
    {
        Dispatcher.ResetLocked();
        _caller = ActorCaller.New();
        return _calls.TakeAll();
    }

    /// <summary>Under the lock: true while the instance runs calls.</summary>
    internal bool IsAliveLocked => _state == ActorState.Alive;

    /// <summary>Under the lock: the generation of the current instance (each restart or death ends one).</summary>
    internal int GenerationLocked => _generation;

    /// <summary>How many calls may run at once (the actor's MaxConcurrency, at least 1).</summary>
    internal int MaxConcurrency => Math.Max(1, _spec?.Options.MaxConcurrency ?? 1);

    /// <summary>Under the lock: the actor's options, null before its creation arrived.</summary>
    internal ActorOptionsData? OptionsLocked => _spec?.Options;

    /// <summary>A call that cannot run (its method or an argument is unavailable): its owner gets <paramref name="error"/>.</summary>
    internal void Reject(ActorCall call, RayError error) => Replies.Deliver(call, null, error);

    /// <summary>Why this grain actor, waiting for its resources, can never start on this node (<see cref="ActorResourceHold.WhyItCannotStart"/>); null when it can.</summary>
    internal string? WhyItCannotStart() => _spec is { } spec && Grain?.Settled.IsCompleted == false ? ActorResourceHold.WhyItCannotStart(spec, _runtime) : null;

    /// <summary>Hands this actor, never started, to another node; null when it is not such an actor (any more): see
    /// <see cref="ActorHandover.TryPack"/> (an actor behind a grain interface only with <paramref name="grainUnattached"/>).</summary>
    internal ActorHandover? TryHandOver(bool grainUnattached = false)
    {
        lock (_gate)
        {
            return ActorHandover.TryPack(this, _spec, _state, _restarts, _queues, Resources, _code, grainUnattached, _runtime.NodeId.Value ?? string.Empty);
        }
    }

    /// <summary>Admits a call of <paramref name="generation"/> to run with <paramref name="context"/> (made with
    /// <see cref="TaskContext.OnDemand"/>, which a cancel of the call cancels): its instance, and the context is given the
    /// submitter the call's own calls use; the call is tracked as running from here on. False, with the call's owner told
    /// why, when that instance ended since the call was taken from the queue.</summary>
    internal bool TryAdmit(ActorCall call, int generation, string methodName, TaskContext context, out object? instance)
    {
        RayError? ended = null;
        lock (_gate)
        {
            context.Submitter = _caller;
            if (generation != _generation)
            {
                // Taken from the queue just as its instance ended.
                ended = _deathCause ?? RayError.Create(RayErrorKind.ActorDied, $"Actor {_spec?.ClassName} ({_spec?.ActorId}) restarted before {methodName} could run.", methodName, _spec?.ActorId ?? default);
                instance = null;
            }
            else
            {
                instance = _instance;
                _calls.Add(call, context);
            }
        }

        if (ended is not null)
        {
            Replies.Deliver(call, null, ended);
            return false;
        }

        Interlocked.Increment(ref _callsRun);
        return true;
    }

    /// <summary>A call returned: its result goes to its owner (<see cref="RunningActorCalls.Complete"/>).</summary>
    internal void Complete(ActorCall call, object? value, RayError? error) => _calls.Complete(_gate, call, value, error, Replies);
}
