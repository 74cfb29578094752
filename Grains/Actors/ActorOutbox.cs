using OrleansRay.Grains;
using OrleansRay.Objects;
using OrleansRay.Runtime;

namespace OrleansRay.Actors;

/// <summary>This worker's queue of calls to one actor. Sends at once when idle and batches while a send is in flight
/// (low latency for one call, one message per burst for many); numbers each call so the host can restore order.</summary>
internal sealed class ActorOutbox
{
    private readonly NodeRuntime _runtime;
    private readonly ActorId _actorId;
    private readonly IActorHostGrain _host;
    private readonly object _gate = new();
    private List<ActorCall> _pending = new();
    private List<ObjectEntry> _pendingEntries = new();
    private Task _created = Task.CompletedTask;
    private bool _sending;
    private long _nextSequence;

    public ActorOutbox(NodeRuntime runtime, ActorId actorId)
    {
        _runtime = runtime;
        _actorId = actorId;
        _host = runtime.GrainFactory.GetGrain<IActorHostGrain>(actorId.ToGuid());
    }

    public void SendCreate(ActorCreationSpec spec)
    {
        lock (_gate)
        {
            _created = _host.CreateAsync(spec);
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
            }

            try
            {
                if (!created.IsCompletedSuccessfully)
                {
                    await created.ConfigureAwait(false);
                }

                await _host.SubmitAsync(new ActorCallBatch(batch.ToArray())).ConfigureAwait(false);
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
}
