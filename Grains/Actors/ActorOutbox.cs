using Orleans.Runtime;
using Orleans.Runtime.Placement;
using OrleansRay.Grains;
using OrleansRay.Execution;
using OrleansRay.Ownership;
using OrleansRay.Placement;
using OrleansRay.Transport;

namespace OrleansRay.Actors;

/// <summary>One submitter's queue of calls to one actor. Sends at once when idle and batches while a send is in flight
/// (low latency for one call, one message per burst for many); numbers each call so the host can restore order.</summary>
/// <remarks>
/// In a cluster the actor may live in another process, which cannot read this process's objects: object arguments are
/// resolved here first (in call order, so a call waiting for its argument holds back only this submitter's later calls,
/// as in Ray) and travel as values. A send that fails because the actor's node is going away is retried until the
/// actor is reachable again (restarted elsewhere). Calls already handed to a node that died are re-sent, with their
/// sequence numbers, to the actor's next instance while the actor's MaxTaskRetries lasts for each (Ray's actor task
/// retries: at least once, in order), then fail with ActorDied. Each batch carries the caller's floor (its lowest call
/// still unanswered), so the rebuilt actor waits for re-sent calls that arrive after later ones.
/// </remarks>
internal sealed class ActorOutbox
{

    private readonly ActorServices _runtime;
    private readonly ActorId _actorId;
    /// <summary>The submitter; held so that, while a call is unfinished (its entry holds its handle, which holds this
    /// outbox), the submitter stays listed for <see cref="ActorSubmitter.NodeDied"/>.</summary>
    private readonly ActorCaller _caller;
    private readonly Microsoft.Extensions.Logging.ILogger _logger;
    private readonly Func<string, bool> _isDead;
    private readonly IActorHostGrain _host;
    private readonly ActorHostLink _link;
    private readonly Func<long> _floor;
    private readonly object _gate = new();
    private List<ActorCall> _pending = new();
    private List<ActorCallHandle> _pendingHandles = new();

    /// <summary>The lists of the last batch sent, emptied, for the next swap (the send loop is the only user).</summary>
    private List<ActorCall>? _spareCalls;
    private List<ActorCallHandle>? _spareHandles;
    private readonly UnansweredCalls _unanswered = new();
    private Task _created;
    private bool _sending;
    private long _nextSequence;
    /// <summary>The actor's MaxTaskRetries, as its host last said.</summary>
    private int _maxTaskRetries;

    /// <param name="runtime">The node the calls are made on (it owns their results).</param>
    /// <param name="actorId">The actor called.</param>
    /// <param name="caller">The submitter whose calls these are.</param>
    /// <param name="logger">Where failures nobody waits for are logged.</param>
    /// <param name="isDead">Whether a node was declared dead (an answer from it may arrive after its death was seen).</param>
    /// <param name="created">The actor's creation when this node sent it and it is still in flight: calls follow it.</param>
    public ActorOutbox(ActorServices runtime, ActorId actorId, ActorCaller caller, Microsoft.Extensions.Logging.ILogger logger, Func<string, bool> isDead, Task? created = null)
    {
        _runtime = runtime;
        _actorId = actorId;
        _caller = caller;
        _logger = logger;
        _isDead = isDead;
        _created = created ?? Task.CompletedTask;
        _host = runtime.GrainFactory.GetGrain<IActorHostGrain>(actorId.ToGuid());
        _link = new ActorHostLink(runtime, actorId, _host);
        _floor = Floor;
    }

    /// <summary>The actor called.</summary>
    public ActorId Actor => _actorId;

    /// <summary>The submitter whose calls these are.</summary>
    public ActorCaller Caller => _caller;

    /// <summary>Sends the actor's creation ahead of this submitter's calls; returns the send.</summary>
    public Task SendCreate(ActorCreationSpec spec, NodeId? node)
    {
        lock (_gate)
        {
            // An id that names no silo (a driver's) gives no hint: a creation pinned to it lands where it is sent.
            if (node?.TryGetSilo() is { } silo)
            {
                // Orleans' placement hint: ActorHostPlacement activates the actor on this silo, waiting for it if it is joining.
                RequestContext.Set(IPlacementDirector.PlacementHintKey, silo);
                try
                {
                    _created = _host.CreateAsync(spec);
                }
                finally
                {
                    RequestContext.Remove(IPlacementDirector.PlacementHintKey);
                }
            }
            else
            {
                _created = _host.CreateAsync(spec);
            }

            return _created;
        }
    }

    /// <summary>Whether <paramref name="handle"/> is this outbox's only call waiting for its result and an actor on
    /// this node accepted it (a caller that waits for each result of a local actor: worth a brief spin for it).</summary>
    public bool IsLoneLocalCall(ActorCallHandle handle)
    {
        lock (_gate)
        {
            return _pending.Count == 0 && _unanswered.IsOnly(handle)
                && string.Equals(handle.Node, _runtime.NodeId.Value, StringComparison.Ordinal);
        }
    }

    /// <summary>Runs <paramref name="handle"/>'s call on the calling thread if it is this outbox's only call, an actor on
    /// this node holds it, and no worker thread has started it (<see cref="IPendingWork.TryRunHere"/>).</summary>
    public bool TryRunHere(ActorCallHandle handle) => IsLoneLocalCall(handle) && _link.TryRunHere(handle.Entry);

    /// <summary>Lets a drain held for its caller go to a worker thread now (<see cref="ActorCallHandle.Hurry"/>).</summary>
    public void Hurry() => _link.LocalMailbox()?.Dispatcher.Hurry();

    /// <summary>Queues a call; its result goes to <paramref name="handle"/>'s entry.</summary>
    public void Enqueue(FunctionDescriptor method, TaskArg[] args, ActorCallHandle handle, string? concurrencyGroup = null)
    {
        bool start;
        var burst = false;
        lock (_gate)
        {
            handle.Sequence = _nextSequence++;
            _pending.Add(new ActorCall
            {
                Caller = _caller.Id,
                Sequence = handle.Sequence,
                ReturnId = handle.Entry.Id,
                Method = method,
                Args = args,
                Owner = _runtime.WorkerId,
                ConcurrencyGroup = concurrencyGroup,
                OtherReturnIds = MultipleReturns.Ids(handle.OtherReturns),
                Streaming = handle.GeneratorBackpressure >= 0,
                GeneratorBackpressure = Math.Max(0, handle.GeneratorBackpressure),
            });
            _pendingHandles.Add(handle);
            _unanswered.Add(handle);
            start = !_sending;
            _sending = true;
            // With other calls in flight (a burst), the send starts on the thread pool so the caller's next calls join
            // its batch; a lone call (a caller waiting for each result) is sent at once, on the caller's thread.
            burst = start && _unanswered.OthersInFlight();
        }

        if (start)
        {
            // A lone call of the caller's own (not a generator's, whose consumer waits for items instead) may be held
            // for the caller to run (ActorCallDispatcher), as long as it reaches the mailbox on this thread.
            using (!burst && handle.GeneratorBackpressure < 0 ? DriverSubmit.Begin() : default)
            {
                StartSending(hop: burst);
            }
        }
    }

    /// <param name="hop">Start on the thread pool even off a worker thread (a caller that must not wait for the send's
    /// first steps: the cluster view's refresh loop, telling every outbox of a node's death).</param>
    private void StartSending(bool hop = false)
    {
        if (hop || WorkerPool.IsWorkerThread)
        {
            // User code on a worker thread may block right after this call; the grain call and its continuations must
            // not depend on that thread (see LeaseLoops.Start).
            ThreadPool.UnsafeQueueUserWorkItem(static outbox => _ = outbox.SendLoopAsync(), this, preferLocal: false);
        }
        else
        {
            _ = SendLoopAsync();
        }
    }

    /// <summary>A call was cancelled: a call not yet sent goes as a skip marker; one the actor may have is skipped or
    /// has its token cancelled there.</summary>
    public void Cancel(ActorCallHandle handle)
    {
        lock (_gate)
        {
            var i = _pendingHandles.IndexOf(handle);
            if (i >= 0)
            {
                _pending[i] = _pending[i] with { Args = Array.Empty<TaskArg>(), Skip = true };
                return;
            }
        }

        if (_link.LocalMailbox() is { } local)
        {
            // Calls to a local actor go straight to its mailbox (SendWithRetryAsync), so the cancel must too: through
            // the host grain it could arrive after this caller's later calls, which run meanwhile.
            local.CancelCall(_caller.Id, handle.Sequence);
            return;
        }

        if (WorkerPool.IsWorkerThread)
        {
            // As in Enqueue: a grain call must not depend on a worker thread that user code may block next.
            ThreadPool.UnsafeQueueUserWorkItem(static state => _ = state.Link.CancelSentAsync(state.Caller, state.Sequence, state.Logger), (Link: _link, Caller: _caller.Id, handle.Sequence, Logger: _logger), preferLocal: false);
        }
        else
        {
            _ = _link.CancelSentAsync(_caller.Id, handle.Sequence, _logger);
        }
    }

    /// <summary>The actor's node died: calls it had accepted and not answered are re-sent to the actor's next instance
    /// (which the send restarts if its MaxRestarts allows) while each call's retries last; the others fail.</summary>
    /// <remarks>Idempotent: calls taken back count as on no node until a node accepts them again.</remarks>
    public void NodeDied(string node)
    {
        List<ActorCallHandle> givenUp = new();
        bool start;
        int maxTaskRetries;
        lock (_gate)
        {
            var lost = _unanswered.TakeLost(node, out var othersUnanswered);
            if (lost.Count == 0)
            {
                return;
            }

            maxTaskRetries = _maxTaskRetries;
            var resend = new List<ActorCall>(lost.Count);
            var retrying = false;
            foreach (var handle in lost)
            {
                if (!handle.Entry.IsComplete && handle.Retries < maxTaskRetries && handle.Sent is { Skip: false } sent)
                {
                    handle.Retries++;
                    resend.Add(sent with { Attempt = handle.Retries }); // RayContext.AttemptNumber of the re-run
                    retrying = true;
                    continue;
                }

                // Answered (its result is not asked for twice) or out of retries: only its place in the order goes.
                if (!handle.Entry.IsComplete)
                {
                    givenUp.Add(handle);
                }

                resend.Add(SkipMarker(handle));
            }

            // Skip markers only matter to an instance that hears of later calls (one may have heard with an older
            // floor); with nothing else to send, the actor is not restarted just for them.
            start = (retrying || othersUnanswered) && !_sending;
            if (retrying || othersUnanswered)
            {
                _pending.InsertRange(0, resend);
                _pendingHandles.InsertRange(0, lost);
                _sending = true;
            }
        }

        foreach (var handle in givenUp)
        {
            var error = RayError.Create(RayErrorKind.ActorDied, LostMessage(node, handle, maxTaskRetries), handle.MethodName, _actorId);
            if (handle.Entry.TrySetError(error))
            {
                _runtime.Objects.DropIfOrphaned(handle.Entry);
            }
        }

        if (start)
        {
            StartSending(hop: true);
        }
    }

    /// <summary>The calls numbered <paramref name="moved"/>'s sequences moved with their actor, before it started, from
    /// the node that had accepted them to another: they die with that one from now on.</summary>
    public void CallsMoved(ActorCallsMoved moved)
    {
        bool any;
        lock (_gate)
        {
            any = _unanswered.Move(moved.From, moved.Node, moved.Sequences);
        }

        if (any && _isDead(moved.Node))
        {
            NodeDied(moved.Node); // its death was seen here before this word of the move: these calls missed that round
        }
    }

    private string LostMessage(string node, ActorCallHandle handle, int maxTaskRetries) => maxTaskRetries == 0
        ? $"The node running actor {_actorId} ({node}) died while this call ({handle.MethodName}) was queued or running there, and the actor's MaxTaskRetries is 0; later calls restart the actor elsewhere if its MaxRestarts allows."
        : $"The node running actor {_actorId} ({node}) died while this call ({handle.MethodName}) was queued or running there, and its retries are exhausted: it was sent {handle.Retries + 1} time(s) and the actor's MaxTaskRetries is {maxTaskRetries}.";

    private ActorCall SkipMarker(ActorCallHandle handle) => new()
    {
        Caller = _caller.Id,
        Sequence = handle.Sequence,
        ReturnId = handle.Entry.Id,
        Method = handle.Method,
        Owner = _runtime.WorkerId,
        Skip = true,
    };

    private async Task SendLoopAsync()
    {
        while (true)
        {
            List<ActorCall> batch;
            List<ActorCallHandle> handles;
            Task created;
            lock (_gate)
            {
                if (_pending.Count == 0)
                {
                    _sending = false;
                    return;
                }

                batch = _pending;
                handles = _pendingHandles;
                _pending = _spareCalls ?? new List<ActorCall>();
                _pendingHandles = _spareHandles ?? new List<ActorCallHandle>();
                _spareCalls = null;
                _spareHandles = null;
                created = _created;
            }

            try
            {
                if (!created.IsCompletedSuccessfully)
                {
                    await created.ConfigureAwait(false);
                }

                if (batch.Count == 1 && !_runtime.IsClustered && _link.TrySubmitLocal([batch[0]], _floor) is { } local)
                {
                    // A lone call to an actor in this process (a caller waiting for each result): to its mailbox
                    // without a batch or an array.
                    Accepted([batch[0]], handles, 0, local);
                }
                else
                {
                    var calls = _runtime.IsClustered ? await RemoteCallArguments.ResolveAsync(_runtime, batch, handles).ConfigureAwait(false) : batch.ToArray();
                    var send = SendSplittingAsync(calls, handles, 0);
                    if (!send.IsCompletedSuccessfully)
                    {
                        await send.ConfigureAwait(false);
                    }
                }

                // Both lists are done with (the calls went on as an array or as themselves, each handle is kept by its
                // entry): reused, unless a burst grew them (an outbox may live as long as its caller).
                if (batch.Capacity <= 64)
                {
                    batch.Clear();
                    handles.Clear();
                    lock (_gate)
                    {
                        _spareCalls = batch;
                        _spareHandles = handles;
                    }
                }
            }
            catch (Exception ex)
            {
                var error = RayError.Create(RayErrorKind.ActorDied, $"Calls to actor {_actorId} could not be delivered: {ex.Message}", actorId: _actorId);
                foreach (var handle in handles)
                {
                    handle.Entry.TrySetError(error);
                    _runtime.Objects.DropIfOrphaned(handle.Entry);
                }
            }
        }
    }

    /// <summary>Sends <paramref name="calls"/> (their handles from <paramref name="offset"/> in <paramref name="handles"/>).
    /// When the batch cannot be serialized (one call's argument, say), each half is sent again, down to single calls, so
    /// only the calls at fault fail: each fails alone with the serializer's error and still travels, as a skip marker,
    /// so the actor's sequence of this caller's calls stays contiguous and the later calls run.</summary>
    private async Task SendSplittingAsync(ActorCall[] calls, List<ActorCallHandle> handles, int offset)
    {
        try
        {
            var accepted = _link.TrySubmitLocal(calls, _floor) ?? await _link.SendWithRetryAsync(calls, _floor).ConfigureAwait(false);
            Accepted(calls, handles, offset, accepted);
        }
        catch (Exception ex) when (WireCheck.IsSerializationFault(ex) && (calls.Length > 1 || !calls[0].Skip))
        {
            if (calls.Length > 1)
            {
                var half = calls.Length / 2;
                await SendSplittingAsync(calls[..half], handles, offset).ConfigureAwait(false);
                await SendSplittingAsync(calls[half..], handles, offset + half).ConfigureAwait(false);
                return;
            }

            var call = calls[0];
            handles[offset].Entry.TrySetError(WireCheck.UnsendableError(call.Method.DisplayName, $"actor {_actorId}", ex, _actorId));
            await SendSplittingAsync([call with { Args = Array.Empty<TaskArg>(), Skip = true }], handles, offset).ConfigureAwait(false);
        }
    }

    /// <summary>A node accepted <paramref name="calls"/>: they die with it from now on (a send still retrying reaches the
    /// actor's next instance instead). Their arguments are kept only if they may be re-sent.</summary>
    private void Accepted(ReadOnlySpan<ActorCall> calls, List<ActorCallHandle> handles, int offset, ActorCallsAccepted accepted)
    {
        bool diedMeanwhile;
        HashSet<string>? movedToDead = null;
        lock (_gate)
        {
            _maxTaskRetries = accepted.MaxTaskRetries;
            for (var i = 0; i < calls.Length; i++)
            {
                var handle = handles[offset + i];
                handle.Sent = accepted.MaxTaskRetries > 0 ? calls[i] : null;
                if (handle.AcceptedBy(accepted.Node) is { } movedTo && _isDead(movedTo))
                {
                    (movedToDead ??= new()).Add(movedTo);
                }
            }

            diedMeanwhile = _isDead(accepted.Node);
        }

        if (accepted.Result is { } result)
        {
            _runtime.Cluster.ResultsReturned?.Invoke([result]); // a lone call's result, come with the answer
        }

        if (diedMeanwhile)
        {
            // The node's death was seen here before its answer: these calls missed that round.
            NodeDied(accepted.Node);
        }

        if (movedToDead is not null)
        {
            foreach (var node in movedToDead)
            {
                NodeDied(node); // as above, for calls whose actor had moved on with them to a node seen dead already
            }
        }
    }

    /// <summary>The floor each batch carries (<see cref="ActorCallBatch.Floor"/>): this caller's lowest call unanswered.</summary>
    private long Floor()
    {
        lock (_gate)
        {
            return _unanswered.Floor(_nextSequence);
        }
    }
}
