namespace OrleansRay.Actors;

/// <summary>Admits the calls of one actor grain activation: each caller's calls start in sequence order, and at most
/// MaxConcurrency run at once (Ray's ordering and concurrency for an actor, over Orleans' reentrant grain).</summary>
/// <remarks>
/// Thread-safe (a lock; calls come on the activation's scheduler, the generation's end from the host's thread).
/// A call whose predecessor has not arrived waits for it, or for the caller's floor to pass it (the predecessor was
/// given up), or at most <see cref="GapGrace"/> (a predecessor lost in transit with no later call to say so).
/// </remarks>
internal sealed class ActorCallGate
{
    /// <summary>How long a call waits for a predecessor that neither arrives nor is given up by its caller.</summary>
    public static readonly TimeSpan GapGrace = TimeSpan.FromSeconds(5);

    private readonly object _lock = new();
    private readonly int _maxConcurrency;
    private readonly Dictionary<Guid, CallerOrder> _callers = new();
    private readonly Queue<TaskCompletionSource> _slotWaiters = new();
    private int _running;
    private Exception? _closed;

    public ActorCallGate(int maxConcurrency) => _maxConcurrency = Math.Max(1, maxConcurrency);

    /// <summary>Waits until the call may start; then it holds a slot until <see cref="Exit"/>.</summary>
    /// <exception cref="Exception">The gate was closed (the actor restarted or died): the exception given to <see cref="Close"/>.</exception>
    public ValueTask EnterAsync(ActorCallStamp? stamp)
    {
        lock (_lock)
        {
            if (_closed is not null)
            {
                return ValueTask.FromException(_closed);
            }

            if (stamp is null)
            {
                return TakeSlotLocked();
            }

            if (!_callers.TryGetValue(stamp.Caller, out var order))
            {
                order = new CallerOrder(stamp.Floor);
                _callers[stamp.Caller] = order;
            }

            if (stamp.Floor > order.Next)
            {
                // The caller finished or gave up everything below its floor: none of it will come (again).
                order.Next = stamp.Floor;
                ReleaseParkedLocked(order);
            }

            if (stamp.Sequence <= order.Next)
            {
                // This call's slot first: the calls after it that were parked queue behind it.
                var slot = TakeSlotLocked();
                if (stamp.Sequence == order.Next)
                {
                    order.Next++;
                    ReleaseParkedLocked(order);
                }

                return slot;
            }

            var parked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            order.Parked[stamp.Sequence] = parked;
            return new ValueTask(WaitParkedAsync(order, stamp.Sequence, parked));
        }
    }

    /// <summary>A call admitted by <see cref="EnterAsync"/> ended: its slot goes to the next waiting call.</summary>
    public void Exit()
    {
        lock (_lock)
        {
            while (_slotWaiters.TryDequeue(out var next))
            {
                if (next.TrySetResult())
                {
                    return; // the slot passes on
                }
            }

            _running--;
        }
    }

    /// <summary>Fails every waiting call and every later one with <paramref name="reason"/>.</summary>
    public void Close(Exception reason)
    {
        List<TaskCompletionSource> waiting = new();
        lock (_lock)
        {
            if (_closed is not null)
            {
                return;
            }

            _closed = reason;
            waiting.AddRange(_slotWaiters);
            _slotWaiters.Clear();
            foreach (var order in _callers.Values)
            {
                waiting.AddRange(order.Parked.Values);
                order.Parked.Clear();
            }
        }

        foreach (var waiter in waiting)
        {
            waiter.TrySetException(reason);
        }
    }

    private async Task WaitParkedAsync(CallerOrder order, long sequence, TaskCompletionSource parked)
    {
        if (await Task.WhenAny(parked.Task, Task.Delay(GapGrace)).ConfigureAwait(true) != parked.Task)
        {
            lock (_lock)
            {
                if (_closed is null && !parked.Task.IsCompleted && sequence > order.Next)
                {
                    // Its predecessors never came: they were lost on the way, and their caller's exception said so.
                    order.Next = sequence;
                    ReleaseParkedLocked(order);
                }
            }
        }

        // Completes once the call holds a slot (granted in order by ReleaseParkedLocked), or with the gate's closing.
        await parked.Task.ConfigureAwait(true);
    }

    /// <summary>Under the lock: the parked calls at or below the caller's next number go, lowest first, each taking a
    /// slot (or its place in the slot queue) now, so no call arriving later can overtake them.</summary>
    private void ReleaseParkedLocked(CallerOrder order)
    {
        if (order.Parked.Count == 0)
        {
            return;
        }

        if (order.Parked.Keys.Any(k => k < order.Next))
        {
            foreach (var skipped in order.Parked.Keys.Where(k => k < order.Next).Order().ToList())
            {
                order.Parked.Remove(skipped, out var late);
                GrantLocked(late!);
            }
        }

        while (order.Parked.Remove(order.Next, out var next))
        {
            order.Next++;
            GrantLocked(next);
        }
    }

    private void GrantLocked(TaskCompletionSource waiter)
    {
        if (_running < _maxConcurrency)
        {
            _running++;
            waiter.TrySetResult();
        }
        else
        {
            _slotWaiters.Enqueue(waiter);
        }
    }

    private ValueTask TakeSlotLocked()
    {
        if (_closed is not null)
        {
            return ValueTask.FromException(_closed);
        }

        if (_running < _maxConcurrency)
        {
            _running++;
            return ValueTask.CompletedTask;
        }

        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _slotWaiters.Enqueue(waiter);
        return new ValueTask(waiter.Task);
    }

    private sealed class CallerOrder
    {
        public CallerOrder(long next) => Next = next;

        /// <summary>The next sequence number of this caller allowed to start.</summary>
        public long Next { get; set; }

        /// <summary>Calls that arrived before their turn, by sequence number.</summary>
        public Dictionary<long, TaskCompletionSource> Parked { get; } = new();
    }
}
