namespace OrleansRay.Ownership;

/// <summary>The owner's side of one streaming generator task (Ray's <c>ObjectRefGenerator</c>): the items reported so
/// far and not yet handed to the consumer, the consumer's cursor, and the end of the stream (the task's own return
/// object, which completes with the item count or the task's error).</summary>
/// <remarks>
/// Each item is an object this runtime owns (id from <see cref="GeneratorItems.IdOf"/>), created with one handle that
/// the stream holds until the consumer takes the item; the consumer's ref then holds it, so the item is freed when that
/// ref dies. Items arrive in order (one send pump per owner) but are keyed by index, so a re-run's duplicates are
/// dropped. An item counts as consumed once the consumer moved past it (asked for the next one, or stopped).
/// </remarks>
internal sealed class GeneratorStream : IGeneratorSink
{
    private readonly object _lock = new();
    private readonly Dictionary<int, ObjectEntry> _pending = new();
    private readonly ObjectTable _table;
    private readonly GeneratorStreams _registry;
    private int _next;
    private int _consumed;
    private bool _closed;
    private bool _started;
    private TaskCompletionSource? _progress;
    private readonly Task _ended;

    /// <summary>Completes on <see cref="Close"/>, so a <see cref="NextAsync"/> waiting for an item that will now never be
    /// handed over (discarded on arrival, or never made) stops waiting.</summary>
    private readonly TaskCompletionSource _whenClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly ObjectOrigin _itemOrigin;

    public GeneratorStream(TaskId taskId, ObjectEntry end, ObjectTable table, GeneratorStreams registry, int backpressure, ObjectOrigin itemOrigin = ObjectOrigin.GeneratorItem)
    {
        _itemOrigin = itemOrigin;
        TaskId = taskId;
        End = end;
        _table = table;
        _registry = registry;
        Backpressure = backpressure;
        _ended = end.WhenComplete();
        end.OnComplete(_ => Signal(producerDone: true));
    }

    public TaskId TaskId { get; }

    /// <summary>The task's return object: completes with the item count (an int) or the task's error.</summary>
    public ObjectEntry End { get; }

    /// <inheritdoc/>
    public int Backpressure { get; }

    /// <summary>Items the consumer moved past so far.</summary>
    public int Consumed
    {
        get
        {
            lock (_lock)
            {
                return _consumed;
            }
        }
    }

    private bool _producerDone;

    /// <summary>Items known to have been made (the highest index delivered + 1, or the count reported with the end).</summary>
    private int _made;

    /// <summary>The producer reported <paramref name="count"/> items before it ended (sent with its end, which may overtake
    /// items still travelling).</summary>
    public void Announce(int count) => InterlockedMax(ref _made, count);

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>Claims the stream for its one consumer (a generator is enumerated once, as Ray's).</summary>
    /// <returns>False when it was claimed before.</returns>
    public bool TryStart()
    {
        lock (_lock)
        {
            var first = !_started;
            _started = true;
            return first;
        }
    }

    /// <summary>The next item for the consumer: its entry (whose handle passes to the caller's ref), or null at the end
    /// of the stream or once the stream is closed (also when it closes while this waits), or the task's error once every
    /// item reported before it was taken.</summary>
    public async ValueTask<(ObjectEntry? Item, RayError? Error)> NextAsync(CancellationToken cancellationToken)
    {
        int index;
        ObjectEntry item;
        lock (_lock)
        {
            if (_closed)
            {
                return (null, null);
            }

            index = _next;
            _consumed = index;
            item = GetOrCreate(index);
        }

        Signal(producerDone: false);
        while (true)
        {
            if (Volatile.Read(ref _closed))
            {
                // Closed while waiting (the consumer disposed the generator): the item's handle went with the close.
                return (null, null);
            }

            if (item.IsComplete)
            {
                lock (_lock)
                {
                    if (_closed)
                    {
                        continue;
                    }

                    _pending.Remove(index);
                    _next = index + 1;
                }

                return (item, null);
            }

            if (End.IsComplete)
            {
                // Messages from the producer's node may arrive out of order: the end counts the items made before it
                // (its value, or the count reported with an error), and the consumer gets each of those first.
                var made = Math.Max(Volatile.Read(ref _made), End.IsFailed ? 0 : End.Value as int? ?? 0);
                if (index >= made)
                {
                    Close(cancelProducer: false);
                    return (null, End.IsFailed ? End.Error : null);
                }

                // The end came before an item it counts (a message overtaken, or a large item still being stored).
                await Task.WhenAny(item.WhenComplete(), _whenClosed.Task).WaitAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            End.Producer?.Hurry(); // a generator task held for a driver to run: its consumer waits for items instead
            // An array, not WhenAny's params span (whose compiler-made inline array type has no namespace).
            Task[] waits = [item.WhenComplete(), _ended, _whenClosed.Task];
            await Task.WhenAny(waits).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Item <paramref name="index"/> arrived (a value, a stored object, or an error in storing it).</summary>
    public void Deliver(int index, object? value, RayError? error)
    {
        Announce(index + 1);
        ObjectEntry? entry = null;
        lock (_lock)
        {
            if (!_closed && index >= _next)
            {
                entry = GetOrCreate(index);
            }
        }

        if (entry is null || !entry.TrySetResult(value, error))
        {
            Discard(value); // taken or delivered already (a re-run's duplicate), or nobody consumes any more
        }
    }

    /// <summary>A duplicate or unwanted item: frees its stored copy, if it has one.</summary>
    public void Discard(object? value)
    {
        if (value is StoredObject stored)
        {
            _table.FreedElsewhere?.Invoke(stored);
        }
    }

    /// <inheritdoc/>
    public void Yield(int index, object? value) => Deliver(index, value, null);

    /// <inheritdoc/>
    public async ValueTask<bool> WaitForRoomAsync(int index, CancellationToken cancellationToken)
    {
        if (Backpressure <= 0)
        {
            return true;
        }

        var needed = index - Backpressure + 1;
        while (true)
        {
            var consumed = await WaitConsumedAsync(needed, Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
            if (consumed < 0)
            {
                return false;
            }

            if (consumed >= needed)
            {
                return true;
            }
        }
    }

    /// <summary>Waits up to <paramref name="timeout"/> until the consumer moved past <paramref name="atLeast"/> items.</summary>
    /// <returns>The items consumed so far (possibly fewer after the timeout), or -1 when the stream is closed.</returns>
    public async Task<int> WaitConsumedAsync(int atLeast, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = timeout == Timeout.InfiniteTimeSpan ? (DateTime?)null : DateTime.UtcNow + timeout;
        while (true)
        {
            Task wait;
            lock (_lock)
            {
                if (_closed || _producerDone)
                {
                    return -1;
                }

                if (_consumed >= atLeast)
                {
                    return _consumed;
                }

                wait = (_progress ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }

            if (deadline is { } d)
            {
                var left = d - DateTime.UtcNow;
                if (left <= TimeSpan.Zero)
                {
                    return Consumed;
                }

                try
                {
                    await wait.WaitAsync(left, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    return Consumed;
                }
            }
            else
            {
                await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The consumer is done: the items not taken are released, the producer (when <paramref name="cancelProducer"/>
    /// and still running) is cancelled, and items still to come are discarded.</summary>
    public void Close(bool cancelProducer)
    {
        List<ObjectEntry> untaken;
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            _consumed = _next;
            untaken = [.. _pending.Values];
            _pending.Clear();
        }

        _registry.Remove(this);

        // Cancelled before the producer is woken: woken first, it sees the closed stream, stops and may complete the end
        // normally before the cancel is made, and a generator left early would then end as if it had finished.
        if (cancelProducer && !End.IsComplete)
        {
            End.Producer?.Cancel(force: false, recursive: true);
        }

        _whenClosed.TrySetResult();
        Signal(producerDone: false);

        foreach (var entry in untaken)
        {
            _table.ReleaseHandle(entry.Id);
        }
    }

    private ObjectEntry GetOrCreate(int index)
    {
        if (!_pending.TryGetValue(index, out var entry))
        {
            entry = _table.Create(GeneratorItems.IdOf(TaskId, index));
            entry.Origin = _itemOrigin;
            _pending[index] = entry;
        }

        return entry;
    }

    private void Signal(bool producerDone)
    {
        TaskCompletionSource? progress;
        lock (_lock)
        {
            _producerDone |= producerDone;
            progress = _progress;
            _progress = null;
        }

        progress?.TrySetResult();
    }
}
