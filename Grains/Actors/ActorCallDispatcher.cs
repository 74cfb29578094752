using OrleansRay.Ownership;

namespace OrleansRay.Actors;

/// <summary>Dispatches an actor's calls to the node's worker threads: with MaxConcurrency 1 a single drain loop runs
/// them one at a time in order; above 1, each runs on its own worker thread, up to that many at once (Ray's threaded
/// actors). An async actor, or one with concurrency groups, runs its calls through its <see cref="ConcurrencyGroups"/>:
/// each group starts calls up to its own limit, on the group's exclusive scheduler for an async actor. Shares its
/// mailbox's lock; a new instance (restart) gets a new drain loop.</summary>
internal sealed class ActorCallDispatcher
{
    private readonly ActorMailbox _mailbox;
    private readonly ActorServices _services;
    private readonly object _gate;
    private readonly ActorCallQueues _queues;
    private int _running;
    private bool _draining;
    private bool _dirty;
    private ConcurrencyGroups? _groups;
    private volatile bool _groupsKnown;
    private readonly List<(ActorCall Call, ConcurrencyGroups.Group Group)> _startable = new();

    /// <summary>The drain loop queued on the pool and not yet started (under the lock; null otherwise): a caller waiting
    /// for its call may run it itself (<see cref="TryRunHere"/>).</summary>
    private DrainStart? _queuedDrain;

    /// <summary>How long the drain loop's last call's method ran when it did not await (Stopwatch ticks, the method alone,
    /// not its arguments' resolving nor its result's sending; long.MaxValue before the first and after one that awaited).</summary>
    private long _lastCallTicks = long.MaxValue;

    public ActorCallDispatcher(ActorMailbox mailbox, ActorServices services, object gate, ActorCallQueues queues)
    {
        _mailbox = mailbox;
        _services = services;
        _gate = gate;
        _queues = queues;
    }

    /// <summary>Under the lock: calls running or a drain loop active (for the mailbox's pending count).</summary>
    public int InFlightLocked => _running + (_draining ? 1 : 0) + (_groups?.InFlight ?? 0);

    /// <summary>Under the lock: takes the calls ready to start in their concurrency groups (the actor died).</summary>
    public List<ActorCall> TakeReadyLocked() => _groups?.TakeAll() ?? new List<ActorCall>();

    /// <summary>Under the lock: drops a call ready to start in its concurrency group (cancelled); false if not there.</summary>
    public bool RemoveReadyLocked(WorkerId caller, long sequence) => _groups?.Remove(caller, sequence) ?? false;

    /// <summary>Under the lock: the instance ended; its running calls were given up and its drain loop stops when the
    /// user code it is in returns.</summary>
    public void ResetLocked()
    {
        _draining = false;
        _running = 0;
        _groups?.ResetLocked();
    }

    /// <summary>Starts running calls if the actor is alive, something can run, and concurrency allows.</summary>
    public void Pump()
    {
        if (Groups() is { } groups)
        {
            PumpGroups(groups);
            return;
        }

        var max = _mailbox.MaxConcurrency;
        if (max == 1)
        {
            lock (_gate)
            {
                // _dirty tells a running drain loop to look again before it stops (an argument became ready meanwhile).
                _dirty = true;
                if (_draining || !_mailbox.IsAliveLocked)
                {
                    if (_queuedDrain is not null && !_queues.HoldsOneCall)
                    {
                        // A second call arrived while the drain waits for its caller to run it: no caller runs it now.
                        _services.Pool.QueueDeferredNow();
                    }

                    return;
                }

                _draining = true;
                QueueDrainLocked(_mailbox.GenerationLocked);
            }

            return;
        }

        while (true)
        {
            ActorCall? call;
            int generation;
            lock (_gate)
            {
                if (!_mailbox.IsAliveLocked || _running >= max || !_queues.TryTake(out call))
                {
                    return;
                }

                generation = _mailbox.GenerationLocked;
                if (call!.ConcurrencyGroup is null)
                {
                    _running++;
                }
            }

            if (call.ConcurrencyGroup is not null)
            {
                RefuseGroup(call);
                continue;
            }

            _ = _services.Pool.Run(async () =>
            {
                await ActorCallExecution.ExecuteAsync(_mailbox, _services, call!, generation).ConfigureAwait(false);
                lock (_gate)
                {
                    // A call of an ended instance was already given up and its count reset.
                    if (generation == _mailbox.GenerationLocked)
                    {
                        _running--;
                    }
                }

                Pump();
            });
        }
    }

    /// <summary>The actor's concurrency groups if it runs through them (known once its options are).</summary>
    private ConcurrencyGroups? Groups()
    {
        if (_groupsKnown)
        {
            return _groups;
        }

        lock (_gate)
        {
            if (!_groupsKnown && _mailbox.OptionsLocked is { } options)
            {
                _groups = ConcurrencyGroups.Needed(options) ? new ConcurrencyGroups(options, _services.Pool) : null;
                _groupsKnown = true;
            }

            return _groups;
        }
    }

    /// <summary>Moves every call that can run from the callers' queues to its group (in each caller's order), then starts
    /// what the groups' limits allow; a call naming a group the actor lacks is refused.</summary>
    private void PumpGroups(ConcurrencyGroups groups)
    {
        List<ActorCall>? refused = null;
        lock (_gate)
        {
            if (!_mailbox.IsAliveLocked)
            {
                return;
            }

            while (_queues.TryTake(out var call))
            {
                if (!groups.Add(call!))
                {
                    (refused ??= new()).Add(call!);
                }
            }

            _startable.Clear();
            groups.TakeStartable(_startable);
            var generation = _mailbox.GenerationLocked;
            // Started under the lock, so each group's scheduler gets its calls in order (starting only queues them).
            foreach (var (call, group) in _startable)
            {
                Start(call, group, generation);
            }

            _startable.Clear();
        }

        foreach (var call in refused ?? Enumerable.Empty<ActorCall>())
        {
            var error = new ArgumentException(ConcurrencyGroups.Unknown(call.ConcurrencyGroup!, call.Method.DisplayName, groups.Names));
            _mailbox.Reject(call, RayError.FromException(error, call.Method.DisplayName));
        }
    }

    /// <summary>Refuses a call naming a concurrency group on an actor created without groups (it has none), as
    /// <see cref="PumpGroups"/> refuses a group the actor lacks: its result fails with an <see cref="ArgumentException"/>.</summary>
    private void RefuseGroup(ActorCall call)
    {
        var error = new ArgumentException(ConcurrencyGroups.Unknown(call.ConcurrencyGroup!, call.Method.DisplayName, Array.Empty<string>()));
        _mailbox.Reject(call, RayError.FromException(error, call.Method.DisplayName));
    }

    private void Start(ActorCall call, ConcurrencyGroups.Group group, int generation)
    {
        if (group.Scheduler is { } scheduler)
        {
            _ = Task.Factory.StartNew(() => RunInGroupAsync(call, group, generation), CancellationToken.None, TaskCreationOptions.DenyChildAttach, scheduler).Unwrap();
        }
        else
        {
            _ = _services.Pool.Run(() => RunInGroupAsync(call, group, generation));
        }
    }

    private async Task RunInGroupAsync(ActorCall call, ConcurrencyGroups.Group group, int generation)
    {
        await ActorCallExecution.ExecuteAsync(_mailbox, _services, call, generation).ConfigureAwait(false);
        lock (_gate)
        {
            // A call of an ended instance was already given up and its group's count reset.
            if (generation == _mailbox.GenerationLocked)
            {
                ConcurrencyGroups.Finished(group);
            }
        }

        Pump();
    }

    /// <summary>Under the lock (with <c>_draining</c> set): queues the drain loop on the pool; it runs if no caller
    /// claims it first.</summary>
    private void QueueDrainLocked(int generation)
    {
        if (!ExecutionContext.IsFlowSuppressed())
        {
            // The drain loop runs other callers' calls too: none of this caller's async locals go with it (as a lease's).
            using (ExecutionContext.SuppressFlow())
            {
                QueueDrainLocked(generation);
            }

            return;
        }

        var start = new DrainStart(this, generation);
        _queuedDrain = start;
        if (LoneShortCallLocked() && Execution.DriverSubmit.IsActive && Execution.WorkerPool.IsDriverCode)
        {
            // The caller's only call, short last time: its get is about to run it (TryRunHere); no worker thread is
            // woken for it unless the caller does not come for it (WorkerPool.PostDeferred).
            _services.Pool.PostDeferred(RunQueuedDrain, start);
            return;
        }

        if (LoneShortCallLocked() && Transport.ChannelRunHere.IsSubmitting)
        {
            // A lone call that came on a task channel, short last time: the channel's reader runs it (ADR 0025, session
            // 27 addendum); a worker thread takes it if the reader does not come for it within a tick.
            _services.Pool.PostDeferred(RunQueuedDrain, start);
            Transport.ChannelRunHere.Offer(start.RunOnReader);
            return;
        }

        _services.Pool.Post(RunQueuedDrain, start);
    }

    /// <summary>A queued drain loop's item on the pool: runs the loop unless a caller claimed it first.</summary>
    private static readonly Action<object?> RunQueuedDrain = static state =>
    {
        var start = (DrainStart)state!;
        if (start.TryClaim())
        {
            start.Dispatcher.Dequeued(start);
            _ = start.Dispatcher.DrainAsync(start.Generation, stopWhen: null);
        }
        else
        {
            Execution.WorkerPool.FoundNothing(); // the caller ran it
        }
    };

    /// <summary>Under the lock: true when one call is queued and the actor's last call was short and did not await:
    /// a call the thread that queued it may run (its caller's get, <see cref="TryRunHere"/>; a task channel's reader,
    /// <see cref="RunOneHere"/>), as only those threads know it is theirs (<see cref="QueueDrainLocked"/>).</summary>
    private bool LoneShortCallLocked() =>
        Volatile.Read(ref _lastCallTicks) <= Execution.CompiledFunction.ShortRunTicks && _queues.HoldsOneCall;

    /// <summary>Runs the drain loop held for a task channel's reader on the calling thread, for one call, if no worker
    /// thread has started it; the calls queued meanwhile go back to the pool. True when the loop ran here.</summary>
    internal bool RunOneHere(DrainStart start)
    {
        if (!start.TryClaim())
        {
            return false; // a worker thread took it (the reader came late, or a second call hurried it)
        }

        RunClaimedHere(start);
        return true;
    }

    /// <summary>Runs a drain loop this thread claimed here, as on a worker thread (<see cref="Execution.WorkerPool.RunHere"/>),
    /// until its <see cref="DrainStart.StopWhen"/> entry completes or, without one, for one call.</summary>
    private void RunClaimedHere(DrainStart start)
    {
        _services.Pool.ClaimedHere(start); // claimed: a deferred item is dropped, a queued one needs no thread
        Dequeued(start);
        _services.Pool.RunHere(static state =>
        {
            var start = (DrainStart)state!;
            _ = start.Dispatcher.DrainAsync(start.Generation, start.StopWhen, oneCall: start.StopWhen is null);
        }, start);
    }

    private void Dequeued(DrainStart start)
    {
        lock (_gate)
        {
            if (ReferenceEquals(_queuedDrain, start))
            {
                _queuedDrain = null;
            }
        }
    }

    /// <summary>Runs the queued drain loop on the calling thread (a caller waiting for <paramref name="awaited"/>, its
    /// only call to this actor) if no worker thread has started it, the caller's call is the only one queued, and the
    /// actor's last call was short and did not await: the call runs here as on a worker thread
    /// (<see cref="Execution.WorkerPool.RunHere"/>); calls queued meanwhile go back to the pool. True when the loop
    /// ran here.</summary>
    public bool TryRunHere(ObjectEntry awaited)
    {
        if (Volatile.Read(ref _lastCallTicks) > Execution.CompiledFunction.ShortRunTicks)
        {
            return false; // its last call was long or awaited: this caller could wait long on its own thread
        }

        DrainStart? start;
        lock (_gate)
        {
            // Only the caller's own call: never other callers' calls on this thread.
            start = _queues.HoldsOneCall ? _queuedDrain : null;
        }

        if (start is null || !start.TryClaim())
        {
            return false;
        }

        start.StopWhen = awaited;
        RunClaimedHere(start);
        return true;
    }

    /// <summary>Queues the drain held for its caller now (a waiter will not run it).</summary>
    public void Hurry() => _services.Pool.QueueDeferredNow();

    /// <summary>Records how long the last call took (Stopwatch ticks; long.MaxValue for one that awaited).</summary>
    public void RecordCall(long ticks) => Volatile.Write(ref _lastCallTicks, ticks);

    /// <summary>The drain loop; with <paramref name="stopWhen"/> (run on a caller's thread), it hands the rest back to
    /// the pool once that entry is complete; with <paramref name="oneCall"/> (run on a task channel's reader), once it
    /// ran one call.</summary>
    private async Task DrainAsync(int generation, ObjectEntry? stopWhen, bool oneCall = false)
    {
        var ran = false;
        while (true)
        {
            if (stopWhen is { IsComplete: true } || (oneCall && ran))
            {
                lock (_gate)
                {
                    if (generation != _mailbox.GenerationLocked)
                    {
                        return; // the instance this loop served is gone
                    }

                    if (!_mailbox.IsAliveLocked || (_queues.Count == 0 && !_dirty))
                    {
                        _draining = false; // nothing after the caller's call
                    }
                    else
                    {
                        QueueDrainLocked(generation); // the calls after the caller's run on a worker thread
                    }
                }

                return;
            }

            ActorCall? call;
            lock (_gate)
            {
                while (true)
                {
                    if (generation != _mailbox.GenerationLocked)
                    {
                        // The instance this loop served is gone; the next instance has its own loop.
                        return;
                    }

                    if (!_mailbox.IsAliveLocked)
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

            if (call!.ConcurrencyGroup is not null)
            {
                RefuseGroup(call);
                continue;
            }

            var run = ActorCallExecution.ExecuteAsync(_mailbox, _services, call, generation, out var methodTicks);
            RecordCall(run.IsCompleted ? methodTicks : long.MaxValue);
            ran = true;
            if (!run.IsCompletedSuccessfully)
            {
                await run.ConfigureAwait(false);
                stopWhen = null; // resumed on a worker thread: an ordinary drain loop from here
                oneCall = false;
            }
        }
    }
}
