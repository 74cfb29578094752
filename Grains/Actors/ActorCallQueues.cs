
namespace OrleansRay.Actors;

/// <summary>The calls an actor received and has not started, one queue per submitter in sequence order; picks the next
/// call that can run, rotating over submitters so a submitter whose next call waits for an argument holds up no other.</summary>
/// <remarks>Not thread-safe: the mailbox's lock (passed in) guards every member. When a waiting head's argument
/// completes, the wake-up takes that lock, clears the wait and calls the mailbox's pump outside it.</remarks>
internal sealed class ActorCallQueues
{
    private readonly ActorServices _runtime;
    private readonly object _gate;
    private readonly Action _pump;
    private readonly Dictionary<WorkerId, CallerQueue> _callers = new();
    private readonly List<CallerQueue> _rotation = new();

    /// <summary>Where each submitter with nothing queued goes on (its next sequence number). Each run of a task is a
    /// submitter, so an actor may hear from very many: idle ones leave the rotation (which is scanned on every take)
    /// and keep only this number, enough to restore order and to ignore a replayed call.</summary>
    private readonly Dictionary<WorkerId, long> _idle = new();

    /// <summary>Calls cancelled before they arrived (a cancel may overtake its call): skipped when they come.</summary>
    private readonly HashSet<(WorkerId Caller, long Sequence)> _cancelled = new();
    private int _rotationStart;

    /// <summary>The last queue emptied, for the next caller (no queue allocated per call of a synchronous caller).</summary>
    private CallerQueue? _spare;

    public ActorCallQueues(ActorServices runtime, object gate, Action pump)
    {
        _runtime = runtime;
        _gate = gate;
        _pump = pump;
    }

    /// <summary>Calls received and not started.</summary>
    public int Count => _callers.Values.Sum(static q => q.Count);

    /// <summary>True when exactly one call is queued (no allocation, unlike <see cref="Count"/>).</summary>
    public bool HoldsOneCall => _rotation.Count == 1 && _rotation[0].Count == 1;

    /// <summary>Queues a call (any order within a submitter; a sequence already passed is a duplicate and ignored).</summary>
    /// <param name="call">The call.</param>
    /// <param name="floor">The submitter's floor (<see cref="ActorCallBatch.Floor"/>): it needs none of its calls below it
    /// run, so a submitter unknown here starts there (on an actor rebuilt after its node died, where calls re-sent from
    /// before the death may arrive after later ones), and a known one skips ahead to it.</param>
    public void Add(ActorCall call, long floor)
    {
        if (_cancelled.Remove((call.Caller, call.Sequence)))
        {
            call = call with { Args = Array.Empty<TaskArg>(), Skip = true };
        }

        if (!_callers.TryGetValue(call.Caller, out var queue))
        {
            var start = _idle.Remove(call.Caller, out var next) ? Math.Max(next, floor) : floor;
            if (_spare is not null)
            {
                queue = _spare;
                _spare = null;
                queue.Reset(call.Caller, start);
            }
            else
            {
                queue = new CallerQueue(call.Caller, start);
            }

            _callers[call.Caller] = queue;
            _rotation.Add(queue);
        }
        else if (floor > queue.Next)
        {
            SkipTo(queue, floor);
        }

        if (call.Sequence >= queue.Next)
        {
            queue.TryAdd(call.Sequence, call);
        }
    }

    /// <summary>The submitter needs none of its calls below <paramref name="floor"/> (answered, cancelled or given up
    /// there): those still queued are dropped and its order goes on from the floor.</summary>
    private static void SkipTo(CallerQueue queue, long floor)
    {
        while (queue.Count > 0 && queue.FirstSequence < floor)
        {
            queue.Remove(queue.FirstSequence);
        }

        queue.Next = floor;
        // A wake-up registered for the old head only pumps again when it fires; the new head registers its own.
        queue.HeadWaiting = false;
    }

    /// <summary>Cancels a call that has not started: it is skipped, now or when it arrives.</summary>
    public void Cancel(WorkerId caller, long sequence)
    {
        if (_callers.TryGetValue(caller, out var queue) && queue.TryGet(sequence, out var call))
        {
            queue.Set(sequence, call with { Args = Array.Empty<TaskArg>(), Skip = true });
            return;
        }

        var next = queue?.Next ?? (_idle.TryGetValue(caller, out var idleNext) ? idleNext : 0);
        if (sequence >= next)
        {
            _cancelled.Add((caller, sequence));
        }
    }

    /// <summary>Takes every call not started (the actor died): their results are given now.</summary>
    public List<ActorCall> TakeAll()
    {
        var all = new List<ActorCall>();
        foreach (var queue in _callers.Values)
        {
            all.AddRange(queue.Calls);
            queue.Clear();
        }

        _cancelled.Clear();
        return all;
    }

    /// <summary>Takes every call queued, per submitter with where its order goes on, and the cancels that came before
    /// their calls: the actor, not started, moves to another node (<see cref="ActorHandover"/>).</summary>
    public (List<(long Next, List<ActorCall> Calls)> Callers, List<(WorkerId Caller, long Sequence)> Cancelled) TakeForMove()
    {
        var callers = _callers.Values.Select(q => (q.Next, q.Calls.ToList())).ToList();
        var cancelled = _cancelled.ToList();
        TakeAll();
        return (callers, cancelled);
    }

    /// <summary>Takes the next runnable call, rotating over submitters; registers a wake-up for heads waiting on
    /// arguments. Skip markers (calls failed or cancelled at the caller) are passed over without waiting.</summary>
    public bool TryTake(out ActorCall? call)
    {
        var n = _rotation.Count;
        for (var k = 0; k < n; k++)
        {
            var index = (_rotationStart + k) % n;
            var queue = _rotation[index];
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

            queue.Remove(queue.Next);
            queue.Next++;
            queue.HeadWaiting = false;
            if (queue.Count == 0)
            {
                Idle(queue, index);
                if (head.Skip)
                {
                    return TryTake(out call);
                }

                // The queue after the one that went idle now sits at its index.
                _rotationStart = _rotation.Count == 0 ? 0 : index % _rotation.Count;
                call = head;
                return true;
            }

            if (head.Skip)
            {
                k--;
                continue;
            }

            _rotationStart = (index + 1) % n;
            call = head;
            return true;
        }

        call = null;
        return false;
    }

    private void Idle(CallerQueue queue, int index)
    {
        _callers.Remove(queue.Caller);
        _rotation.RemoveAt(index);
        _idle[queue.Caller] = queue.Next;
        _spare = queue; // reused by the next caller that arrives (a synchronous caller's next call, usually)
        if (_rotationStart >= _rotation.Count)
        {
            _rotationStart = 0;
        }
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

                    _pump();
                });
                return;
            }
        }
    }
}
