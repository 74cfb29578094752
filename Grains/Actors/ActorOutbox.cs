using Orleans.Runtime;
using Orleans.Runtime.Placement;
using OrleansRay.Grains;
using OrleansRay.Objects;
using OrleansRay.Runtime;

namespace OrleansRay.Actors;

/// <summary>This worker's queue of calls to one actor. Sends at once when idle and batches while a send is in flight
/// (low latency for one call, one message per burst for many); numbers each call so the host can restore order.</summary>
/// <remarks>
/// In a cluster the actor may live in another process, which cannot read this process's objects: object arguments are
/// resolved here first (in call order, so a call waiting for its argument holds back only this caller's later calls,
/// as in Ray) and travel as values. A send that fails because the actor's node is going away is retried until the
/// actor is reachable again (restarted elsewhere); calls already handed to a node that died fail with ActorDied.
/// </remarks>
internal sealed class ActorOutbox
{
    /// <summary>How long sends are retried while the actor's node is unreachable: membership declares a dead node
    /// within seconds (MembershipTuning), then the next send activates the actor elsewhere.</summary>
    private static readonly TimeSpan RetryWindow = TimeSpan.FromSeconds(30);

    private readonly NodeRuntime _runtime;
    private readonly ActorId _actorId;
    private readonly IActorHostGrain _host;
    private readonly object _gate = new();
    private List<ActorCall> _pending = new();
    private List<ObjectEntry> _pendingEntries = new();
    private readonly List<ObjectEntry> _unfinished = new();
    private Task _created = Task.CompletedTask;
    private bool _sending;
    private long _nextSequence;
    private volatile string? _hostNode;

    public ActorOutbox(NodeRuntime runtime, ActorId actorId)
    {
        _runtime = runtime;
        _actorId = actorId;
        _host = runtime.GrainFactory.GetGrain<IActorHostGrain>(actorId.ToGuid());
    }

    /// <summary>The node the actor lived on at the last send.</summary>
    public string? HostNode => _hostNode;

    public void SendCreate(ActorCreationSpec spec, NodeId? node)
    {
        lock (_gate)
        {
            if (node is { Value: { } address })
            {
                // Orleans' placement hint: PreferLocalPlacement activates the actor on this silo.
                RequestContext.Set(IPlacementDirector.PlacementHintKey, SiloAddress.FromParsableString(address));
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
        }
    }

    public void Enqueue(FunctionDescriptor method, TaskArg[] args, ObjectEntry entry)
    {
        bool start;
        lock (_gate)
        {
            _pending.Add(new ActorCall
            {
                Caller = _runtime.WorkerId,
                Sequence = _nextSequence++,
                ReturnId = entry.Id,
                Method = method,
                Args = args,
                Owner = _runtime.WorkerId,
            });
            _pendingEntries.Add(entry);
            start = !_sending;
            _sending = true;
        }

        if (!start)
        {
            return;
        }

        if (WorkerPool.IsWorkerThread)
        {
            // User code on a worker thread may block right after this call; the grain call and its continuations must
            // not depend on that thread (see SchedulerEngine.Start).
            ThreadPool.UnsafeQueueUserWorkItem(static outbox => _ = outbox.SendLoopAsync(), this, preferLocal: false);
        }
        else
        {
            _ = SendLoopAsync();
        }
    }

    /// <summary>The actor's node died: calls it had accepted and not answered fail (the actor restarts on the next call
    /// if its MaxRestarts allows).</summary>
    public void NodeDied(string node)
    {
        if (!string.Equals(_hostNode, node, StringComparison.Ordinal))
        {
            return;
        }

        ObjectEntry[] lost;
        lock (_gate)
        {
            lost = _unfinished.ToArray();
            _unfinished.Clear();
        }

        var error = RayError.Create(RayErrorKind.ActorDied,
            $"The node running actor {_actorId} ({node}) died while this call was queued or running there; later calls restart the actor elsewhere if its MaxRestarts allows.",
            actorId: _actorId);
        foreach (var entry in lost)
        {
            if (entry.TrySetError(error))
            {
                _runtime.Objects.DropIfOrphaned(entry);
            }
        }
    }

    private async Task SendLoopAsync()
    {
        while (true)
        {
            List<ActorCall> batch;
            List<ObjectEntry> entries;
            Task created;
            lock (_gate)
            {
                if (_pending.Count == 0)
                {
                    _sending = false;
                    return;
                }

                batch = _pending;
                entries = _pendingEntries;
                _pending = new List<ActorCall>();
                _pendingEntries = new List<ObjectEntry>();
                created = _created;
                _unfinished.RemoveAll(static e => e.IsComplete);
            }

            try
            {
                if (!created.IsCompletedSuccessfully)
                {
                    await created.ConfigureAwait(false);
                }

                var calls = _runtime.IsClustered ? await ResolveForRemoteAsync(batch, entries).ConfigureAwait(false) : batch.ToArray();
                _hostNode = await SendSplittingAsync(calls, entries, 0).ConfigureAwait(false);
                lock (_gate)
                {
                    // Only calls a node accepted die with it; a send still retrying reaches the actor's next instance.
                    _unfinished.AddRange(entries);
                }
            }
            catch (Exception ex)
            {
                var error = RayError.Create(RayErrorKind.ActorDied, $"Calls to actor {_actorId} could not be delivered: {ex.Message}", actorId: _actorId);
                foreach (var entry in entries)
                {
                    entry.TrySetError(error);
                    _runtime.Objects.DropIfOrphaned(entry);
                }
            }
        }
    }

    /// <summary>Sends <paramref name="calls"/> (their entries from <paramref name="offset"/> in <paramref name="entries"/>).
    /// When the batch cannot be serialized (one call's argument, say), each half is sent again, down to single calls, so
    /// only the calls at fault fail: each fails alone with the serializer's error and still travels, as a skip marker,
    /// so the actor's sequence of this caller's calls stays contiguous and the later calls run.</summary>
    private async Task<string> SendSplittingAsync(ActorCall[] calls, List<ObjectEntry> entries, int offset)
    {
        try
        {
            return await SendWithRetryAsync(new ActorCallBatch(calls) { ReplyTo = _runtime.Endpoint }).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsSerializationFault(ex) && (calls.Length > 1 || !calls[0].Skip))
        {
            if (calls.Length > 1)
            {
                var half = calls.Length / 2;
                await SendSplittingAsync(calls[..half], entries, offset).ConfigureAwait(false);
                return await SendSplittingAsync(calls[half..], entries, offset + half).ConfigureAwait(false);
            }

            var call = calls[0];
            entries[offset].TrySetError(new RayError
            {
                Kind = RayErrorKind.TaskFailed,
                FunctionName = call.Method.DisplayName,
                ExceptionType = ex.GetType().FullName ?? ex.GetType().Name,
                Message = $"the call could not be sent to actor {_actorId}: {ex.Message}",
                RemoteStackTrace = ex.StackTrace ?? string.Empty,
                ActorId = _actorId,
            });
            return await SendSplittingAsync([call with { Args = Array.Empty<TaskArg>(), Skip = true }], entries, offset).ConfigureAwait(false);
        }
    }

    /// <summary>The message could not be serialized: the fault of something a call carries, not of the actor's node.</summary>
    private static bool IsSerializationFault(Exception ex) =>
        (ex is AggregateException { InnerException: { } inner } ? inner : ex) is Orleans.Serialization.CodecNotFoundException or Orleans.Serialization.SerializerException;

    private async Task<string> SendWithRetryAsync(ActorCallBatch batch)
    {
        var deadline = DateTime.UtcNow + RetryWindow;
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            try
            {
                return await _host.SubmitAsync(batch).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsTransient(ex) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(delay).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(Math.Min(1000, delay.TotalMilliseconds * 2));
            }
        }
    }

    private static bool IsTransient(Exception ex) => Cluster.ClusterScheduler.IsTransient(ex);

    /// <summary>Object arguments become values (waiting for them in call order); a call whose argument failed fails here
    /// and travels as a skip marker so the caller's sequence stays contiguous.</summary>
    private async Task<ActorCall[]> ResolveForRemoteAsync(List<ActorCall> batch, List<ObjectEntry> entries)
    {
        var calls = new ActorCall[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            var call = batch[i];
            if (!call.Args.Any(static a => a.IsRef))
            {
                calls[i] = call;
                continue;
            }

            var args = new TaskArg[call.Args.Length];
            RayError? failure = null;
            for (var j = 0; j < args.Length && failure is null; j++)
            {
                var arg = call.Args[j];
                if (!arg.IsRef)
                {
                    args[j] = arg;
                    continue;
                }

                if (_runtime.TryGetArgument(arg, out var dependency) && !dependency.IsComplete)
                {
                    await dependency.WhenComplete().ConfigureAwait(false);
                }

                failure = _runtime.ReadForRemote(arg, call.Method.DisplayName, out var value);
                args[j] = TaskArg.FromValue(value);
            }

            if (failure is not null)
            {
                entries[i].TrySetError(failure);
                calls[i] = call with { Args = Array.Empty<TaskArg>(), Skip = true };
            }
            else
            {
                calls[i] = call with { Args = args };
            }
        }

        return calls;
    }
}
