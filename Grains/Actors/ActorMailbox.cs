using Microsoft.Extensions.Logging;
using OrleansRay.Functions;
using OrleansRay.Grains;
using OrleansRay.Runtime;

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
    private readonly NodeRuntime _runtime;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly Dictionary<WorkerId, CallerQueue> _callers = new();
    private readonly List<CallerQueue> _rotation = new();
    private readonly ActorReplies _replies;
    private readonly RunningActorCalls _calls = new();

    /// <summary>Calls cancelled before they arrived (a cancel may overtake its call): skipped when they come.</summary>
    private readonly HashSet<(WorkerId Caller, long Sequence)> _cancelled = new();

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
    private int _rotationStart;
    private readonly CancellationTokenSource _lifetime = new();
    private bool _draining;
    private bool _dirty;
    private bool _holdsResources;
    private bool _recovered;
    private long _callsRun;

    public ActorMailbox(NodeRuntime runtime, ILogger logger)
    {
        _runtime = runtime;
        _logger = logger;
        _replies = new ActorReplies(runtime, logger);
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
                return _callers.Values.Sum(static q => q.Calls.Count) + _running + (_draining ? 1 : 0);
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
        object? instance = null;
        RayError? failure = null;
        await _runtime.Pool.Run(async () =>
        {
            var args = new object?[spec.Args.Length];
            foreach (var arg in spec.Args)
            {
                if (arg.IsRef && _runtime.Objects.TryGet(arg.RefId, out var entry))
                {
                    await _runtime.WaitForAsync(entry, null, CancellationToken.None).ConfigureAwait(false);
                }
            }

            failure = _runtime.ResolveArguments(spec.Args, args, 0, spec.ClassName);
            if (failure is not null)
            {
                // Ray: an actor whose creation failed is dead, and every call says so with the cause.
                failure = new RayError
                {
                    Kind = RayErrorKind.ActorDied,
                    FunctionName = failure.FunctionName,
                    ExceptionType = failure.ExceptionType,
                    Message = $"Actor {spec.ClassName} ({spec.ActorId}) could not be created: {failure.Message}",
                    RemoteStackTrace = failure.RemoteStackTrace,
                    ActorId = spec.ActorId,
                    Original = failure.Original,
                };
                return;
            }

            ActorCaller caller;
            lock (_gate)
            {
                caller = _caller;
            }

            var previous = TaskContext.Current;
            TaskContext.Current = new TaskContext(_runtime, spec.ClassName, CancellationToken.None, lease: null) { Caller = caller };
            try
            {
                instance = await _constructor!.InvokeAsync(args).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                var cause = RayError.FromException(ex, spec.ClassName + "..ctor");
                failure = new RayError
                {
                    Kind = RayErrorKind.ActorDied,
                    FunctionName = cause.FunctionName,
                    ExceptionType = cause.ExceptionType,
                    Message = $"The constructor of actor {spec.ClassName} threw {cause.ExceptionType}: {cause.Message}",
                    RemoteStackTrace = cause.RemoteStackTrace,
                    ActorId = spec.ActorId,
                    Original = cause.Original,
                };
            }
            finally
            {
                TaskContext.Current = previous;
            }
        }).ConfigureAwait(false);

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
        ReportState(spec.ActorId, ActorState.Alive);
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
                foreach (var received in batch.Calls)
                {
                    var call = _cancelled.Remove((received.Caller, received.Sequence)) ? received with { Args = Array.Empty<TaskArg>(), Skip = true } : received;
                    if (!_callers.TryGetValue(call.Caller, out var queue))
                    {
                        // After a restart on another node a caller goes on numbering where it was (calls lost with the old
                        // node were failed at the caller): its first call here starts its sequence.
                        queue = new CallerQueue(call.Caller) { Next = _recovered ? call.Sequence : 0 };
                        _callers[call.Caller] = queue;
                        _rotation.Add(queue);
                    }

                    if (call.Sequence >= queue.Next)
                    {
                        queue.Calls.TryAdd(call.Sequence, call);
                    }
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

            var known = _callers.TryGetValue(caller, out var queue);
            if (known && queue!.Calls.TryGetValue(sequence, out var call))
            {
                queue.Calls[sequence] = call with { Args = Array.Empty<TaskArg>(), Skip = true };
            }
            else if ((running = _calls.Find(caller, sequence)) is null && (!known || sequence >= queue!.Next))
            {
                _cancelled.Add((caller, sequence));
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

        DisposeInstance(old);
        _ = ConstructAsync(generation);
    }

    private void Die(RayError cause)
    {
        List<ActorCall> orphaned = new();
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
            foreach (var queue in _callers.Values)
            {
                orphaned.AddRange(queue.Calls.Values);
                queue.Calls.Clear();
            }

            abandoned = AbandonRunningLocked();
            _cancelled.Clear();
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
            ReportState(spec.ActorId, ActorState.Dead);
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

        DisposeInstance(old);
        if (spec is not null && !string.IsNullOrEmpty(spec.Options.Name))
        {
            _ = UnregisterAsync(spec);
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

    private async Task UnregisterAsync(ActorCreationSpec spec)
    {
        try
        {
            await _runtime.GrainFactory.GetGrain<IActorDirectoryGrain>(spec.Options.Namespace).UnregisterAsync(spec.Options.Name, spec.ActorId).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogUnregisterFailed(_logger, spec.Options.Name, ex);
        }
    }

    private void ReleaseResourcesLocked()
    {
        if (_holdsResources && _spec is not null)
        {
            _holdsResources = false;
            _runtime.Scheduler.ReleaseForActor(_spec.Options.Resources);
        }
    }

    private void ReportState(ActorId actorId, ActorState state) => _ = ReportStateAsync(actorId, state);

    private async Task ReportStateAsync(ActorId actorId, ActorState state)
    {
        try
        {
            await _runtime.GrainFactory.GetGrain<IActorRecordGrain>(actorId.ToGuid()).ReportAsync(state, _runtime.NodeId.Value ?? string.Empty).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogReportFailed(_logger, actorId, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reporting the state of actor {ActorId} to the control store failed: {Reason}")]
    private static partial void LogReportFailed(ILogger logger, ActorId actorId, string reason);

    private static void DisposeInstance(object? instance)
    {
        switch (instance)
        {
            case IAsyncDisposable asyncDisposable:
                _ = asyncDisposable.DisposeAsync().AsTask().ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
                break;
            case IDisposable disposable:
                try
                {
                    disposable.Dispose();
                }
                catch (Exception)
                {
                    // A failing Dispose of a dead actor instance has nobody left to tell; the actor is gone either way.
                }

                break;
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
                if (_state != ActorState.Alive || _running >= max || !TryTakeLocked(out call))
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
                    if (TryTakeLocked(out call))
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

    /// <summary>Takes the next runnable call, rotating over callers; registers a wake-up for heads waiting on arguments.</summary>
    private bool TryTakeLocked(out ActorCall? call)
    {
        var n = _rotation.Count;
        for (var k = 0; k < n; k++)
        {
            var queue = _rotation[(_rotationStart + k) % n];
            var head = queue.Head;
            if (head is null)
            {
                continue;
            }

            if (!head.Skip && !ArgumentsReady(head))
            {
                if (!queue.HeadWaiting)
                {
                    queue.HeadWaiting = true;
                    WakeWhenReady(queue, head);
                }

                continue;
            }

            queue.Calls.Remove(queue.Next);
            queue.Next++;
            queue.HeadWaiting = false;
            if (head.Skip)
            {
                k--;
                continue;
            }

            _rotationStart = (_rotationStart + k + 1) % n;
            call = head;
            return true;
        }

        call = null;
        return false;
    }

    private bool ArgumentsReady(ActorCall call)
    {
        foreach (var arg in call.Args)
        {
            // A missing entry counts as ready: resolving it reports the loss to the caller.
            if (arg.IsRef && _runtime.Objects.TryGet(arg.RefId, out var entry) && !entry.IsComplete)
            {
                return false;
            }
        }

        return true;
    }

    private void WakeWhenReady(CallerQueue queue, ActorCall head)
    {
        foreach (var arg in head.Args)
        {
            if (arg.IsRef && _runtime.Objects.TryGet(arg.RefId, out var entry) && !entry.IsComplete)
            {
                entry.OnComplete(_ =>
                {
                    lock (_gate)
                    {
                        queue.HeadWaiting = false;
                    }

                    Pump();
                });
                return;
            }
        }
    }

    private ValueTask ExecuteAsync(ActorCall call, int generation)
    {
        CompiledFunction method;
        try
        {
            method = FunctionRegistry.Resolve(call.Method);
        }
        catch (Exception ex)
        {
            _replies.Deliver(call, null, RayError.Create(RayErrorKind.FunctionUnavailable, ex.Message, call.Method.DisplayName));
            return default;
        }

        var args = new object?[call.Args.Length + 1];
        var argError = _runtime.ResolveArguments(call.Args, args, 1, method.DisplayName);
        if (argError is not null)
        {
            _replies.Deliver(call, null, argError);
            return default;
        }

        CancellationToken token;
        ActorCaller caller;
        RayError? ended = null;
        lock (_gate)
        {
            if (generation != _generation)
            {
                // Taken from the queue just as its instance ended.
                ended = _deathCause ?? RayError.Create(RayErrorKind.ActorDied, $"Actor {_spec?.ClassName} ({_spec?.ActorId}) restarted before {method.DisplayName} could run.", method.DisplayName, _spec?.ActorId ?? default);
                token = default;
                caller = _caller;
            }
            else
            {
                args[0] = _instance;
                token = _calls.Add(call);
                caller = _caller;
            }
        }

        if (ended is not null)
        {
            _replies.Deliver(call, null, ended);
            return default;
        }

        Interlocked.Increment(ref _callsRun);
        _runtime.RecordActorCall();
        var previous = TaskContext.Current;
        TaskContext.Current = new TaskContext(_runtime, method.DisplayName, token, lease: null) { Caller = caller };
        ValueTask<object?> pending;
        try
        {
            pending = method.InvokeAsync(args);
            if (pending.IsCompletedSuccessfully)
            {
                Complete(call, pending.Result, null);
                return default;
            }
        }
        catch (Exception ex)
        {
            Complete(call, null, RayError.FromException(ex, method.DisplayName));
            return default;
        }
        finally
        {
            TaskContext.Current = previous;
        }

        return AwaitCallAsync(call, pending, method.DisplayName);
    }

    private async ValueTask AwaitCallAsync(ActorCall call, ValueTask<object?> pending, string name)
    {
        try
        {
            var value = await pending.ConfigureAwait(false);
            Complete(call, value, null);
        }
        catch (Exception ex)
        {
            Complete(call, null, RayError.FromException(ex, name));
        }
    }

    /// <summary>A call returned: its result goes to its owner, unless the call was given up meanwhile (the actor was
    /// killed or restarted, and that result was given then).</summary>
    private void Complete(ActorCall call, object? value, RayError? error)
    {
        bool tracked;
        lock (_gate)
        {
            tracked = _calls.Remove(call);
        }

        if (tracked)
        {
            _replies.Deliver(call, value, error);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Actor {ClassName} {ActorId} is alive")]
    private static partial void LogActorAlive(ILogger logger, string className, ActorId actorId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Actor {ClassName} {ActorId} is restarting (restart {Restarts})")]
    private static partial void LogActorRestarting(ILogger logger, string className, ActorId actorId, int restarts);

    [LoggerMessage(Level = LogLevel.Information, Message = "Actor {ClassName} {ActorId} died: {Reason}")]
    private static partial void LogActorDied(ILogger logger, string className, ActorId actorId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Releasing the name {Name} in the actor directory failed")]
    private static partial void LogUnregisterFailed(ILogger logger, string name, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A cancellation callback of a call of actor {ClassName} threw")]
    private static partial void LogCancelCallbackFailed(ILogger logger, string className, Exception exception);
}
