namespace OrleansRay.Ownership;

/// <summary>The owner's record of one object: pending, a value, an error, or stored in the node's object store; plus
/// who waits for it and who holds it.</summary>
/// <remarks>
/// Completion is first-writer-wins (a cancel racing a result keeps whichever came first). Waiters registered before
/// completion run once, after it, outside the entry's lock. Reads of the state are volatile. A value above the inline
/// threshold passed to <see cref="TrySetValue"/> is put into the local object store first (when the node has one), and
/// the entry completes in the stored state; readers copy it out of the store (<see cref="LocalObjectStore"/>).
/// </remarks>
internal sealed class ObjectEntry
{
    private const int Pending = 0, Ready = 1, Failed = 2, Stored = 3;

    /// <summary>The entry's lock: the entry itself, one object less per entry. <see cref="ObjectTable"/> takes the same
    /// lock for the handle and lineage counts (leaf work only; callbacks run outside it).</summary>
    private object Gate => this;
    private volatile int _state;
    private object? _value;
    private RayError? _error;
    private object? _waiters; // null | Action<ObjectEntry> | List<Action<ObjectEntry>>
    private TaskCompletionSource? _completion;
    /// <summary>The <see cref="ObjectTable"/> that owns the entry, or, for the local entry of a borrowed ref, its
    /// owner (<see cref="BorrowedFrom"/>); one field for both, an entry is made for every task.</summary>
    private object? _home;
    private int _storeReleased;

    public ObjectEntry(ObjectId id, ObjectTable? table = null)
    {
        Id = id;
        _home = table;
    }

    public ObjectId Id { get; }

    /// <summary>Live ObjectRef handles in this process. Guarded by the owning table.</summary>
    public int Handles;

    /// <summary>True once the last handle died while still pending: drop on completion.</summary>
    public bool Orphaned;

    /// <summary>The work producing this object (a queued or running task or actor call), for cancellation.</summary>
    public IPendingWork? Producer { get; set; }

    /// <summary>For the local entry of a ref borrowed from another process: its owner (read through its endpoint).
    /// Set once, on an entry that no table owns.</summary>
    /// <exception cref="InvalidOperationException">Set on an entry a table owns.</exception>
    public BorrowedOwner? BorrowedFrom
    {
        get => _home as BorrowedOwner;
        set => _home = _home is ObjectTable ? throw new InvalidOperationException("An entry its table owns is not borrowed.") : value;
    }

    /// <summary>True for the local entry of a borrowed ref (<see cref="BorrowedFrom"/> is set); cheaper to ask.</summary>
    public bool IsBorrowed => _home is not (null or ObjectTable);

    /// <summary>How the object came to be, which decides whether it can be rebuilt when lost.</summary>
    public ObjectOrigin Origin { get; set; }

    /// <summary>The task that made this object, kept while the object is stored so a lost copy can be rebuilt (Ray's
    /// lineage); null for puts, actor call results, tasks without retries, and once the object is inline or failed.
    /// Set with <see cref="ObjectTable.AttachLineage"/>, which counts it on the arguments.</summary>
    public ILineage? Lineage => Volatile.Read(ref _lineage);

    private ILineage? _lineage;
    private bool _valueReleased;

    /// <summary>Lineages of other objects (their tasks' arguments) that need this one to be rebuildable: while above
    /// zero the entry stays after its last handle, though a stored value is released (Ray's lineage ref count).
    /// Guarded by the owning table, like <see cref="Handles"/>.</summary>
    public int LineageRefs;

    /// <summary>The table that owns this entry (null for an entry read through another owner).</summary>
    public ObjectTable? Table => _home as ObjectTable;

    /// <summary>True while the entry is kept only for lineage and its stored value was released: a dependent's rerun
    /// (or a new handle) must rebuild it first (<see cref="TakeReleased"/>).</summary>
    public bool IsValueReleased => Volatile.Read(ref _valueReleased);

    /// <summary>Sets the lineage (once, before the entry completes); <see cref="ObjectTable.AttachLineage"/> calls it.</summary>
    internal void SetLineage(ILineage lineage) => Volatile.Write(ref _lineage, lineage);

    /// <summary>Takes the lineage away (to release what it counts); null when there is none.</summary>
    internal ILineage? TakeLineage() => Interlocked.Exchange(ref _lineage, null);

    /// <summary>Releases the stored value of an entry only lineage still needs: it becomes pending, to be rebuilt from
    /// its lineage on demand. Returns the stored object to delete, or null when the entry is not stored with lineage.</summary>
    internal StoredObject? ReleaseValue()
    {
        lock (Gate)
        {
            if (_state != Stored || _lineage is not { CanRerun: true } || Volatile.Read(ref _storeReleased) != 0)
            {
                // Without a lineage that can still run, the value is kept: it could not be made again.
                return null;
            }

            var stored = (StoredObject)_value!;
            _value = null;
            _state = Pending;
            _valueReleased = true;
            return stored;
        }
    }

    /// <summary>Once: the lineage to rerun for an entry whose value was released (null when it was not, or someone
    /// already took it).</summary>
    internal ILineage? TakeReleased()
    {
        lock (Gate)
        {
            if (!_valueReleased)
            {
                return null;
            }

            _valueReleased = false;
            return _lineage;
        }
    }

    public bool IsComplete => _state != Pending;

    public bool IsFailed => _state == Failed;

    /// <summary>The value of an object held in memory (null for a stored one: read it through <see cref="StoredObject"/>).</summary>
    public object? Value => _state == Stored ? null : _value;

    /// <summary>Where the object lives in the node's object store, or null when it is not stored there.</summary>
    public StoredObject? StoredObject => _state == Stored ? (StoredObject?)_value : null;

    public RayError? Error => _error;

    /// <summary>Sets the value; returns false when already complete. A large value (above the node's inline threshold)
    /// goes into the node's object store first and the entry completes once it is sealed there (inline when the store
    /// has room); true then means "accepted".</summary>
    public bool TrySetValue(object? value)
    {
        if (value is StoredObject stored)
        {
            return TryComplete(Stored, stored, null);
        }

        if (Table is { Store: { } store } table && store.IsLarge(value))
        {
            if (_state != Pending)
            {
                return false;
            }

            store.StoreResult(this, value!, table);
            return true;
        }

        return TryComplete(Ready, value, null);
    }

    /// <summary>Sets a value kept in the owner's memory whatever its size (or where it is stored, for a
    /// <see cref="StoredObject"/>); returns false when already complete.</summary>
    public bool TrySetInlineValue(object? value) => value is StoredObject stored ? TryComplete(Stored, stored, null) : TryComplete(Ready, value, null);

    /// <summary>Completes the entry as an object sealed in the node's object store; returns false when already complete.</summary>
    public bool TrySetStored(StoredObject stored) => TryComplete(Stored, stored, null);

    /// <summary>Once only: the stored object to delete now that the entry is gone (null when not stored or already taken).</summary>
    public StoredObject? TakeStoredForDelete() =>
        _state == Stored && Interlocked.Exchange(ref _storeReleased, 1) == 0 ? (StoredObject?)_value : null;

    /// <summary>Sets the error; returns false when already complete.</summary>
    public bool TrySetError(RayError error) => TryComplete(Failed, null, error);

    /// <summary>Completes with <paramref name="error"/> when there is one, else with <paramref name="value"/> (see
    /// <see cref="TrySetValue"/>): a task's or call's outcome as it arrives.</summary>
    public bool TrySetResult(object? value, RayError? error) => error is null ? TrySetValue(value) : TrySetError(error);

    /// <summary>What a reader sees of the entry, taken at once: its inline value, where it is stored, or its error; not
    /// complete when pending. Read through this, never through <see cref="IsComplete"/>, <see cref="StoredObject"/> and
    /// <see cref="Value"/> one after the other: a stored entry can turn pending (rebuilt) or failed between them.</summary>
    public ObjectOutcome Read()
    {
        // Inline values and failures are final: no lock. Only a stored entry can change, so it is read under the gate.
        switch (_state)
        {
            case Ready:
                return new ObjectOutcome(true, _value, null, null);
            case Failed:
                return new ObjectOutcome(true, null, null, _error);
        }

        lock (Gate)
        {
            return _state switch
            {
                Ready => new ObjectOutcome(true, _value, null, null),
                Stored => new ObjectOutcome(true, null, (StoredObject)_value!, null),
                Failed => new ObjectOutcome(true, null, null, _error),
                _ => default,
            };
        }
    }

    /// <summary>Makes a stored entry pending again because its stored copy <paramref name="lost"/> is gone and its
    /// task is about to run again (lineage reconstruction); readers then wait for the rebuilt value.</summary>
    /// <returns>False when the entry no longer is that stored object (rebuilt already, failed, or freed).</returns>
    public bool TryRestart(StoredObject lost)
    {
        lock (Gate)
        {
            if (_state != Stored || !ReferenceEquals(_value, lost) || Volatile.Read(ref _storeReleased) != 0)
            {
                return false;
            }

            _value = null;
            _state = Pending;
            return true;
        }
    }

    /// <summary>Fails a stored entry whose stored copy <paramref name="lost"/> is gone and cannot be rebuilt.</summary>
    /// <returns>False when the entry no longer is that stored object.</returns>
    public bool TryFailLost(StoredObject lost, RayError error)
    {
        lock (Gate)
        {
            if (_state != Stored || !ReferenceEquals(_value, lost) || Volatile.Read(ref _storeReleased) != 0)
            {
                return false;
            }

            _value = null;
            _error = error;
            _state = Failed;
        }

        if (TakeLineage() is { } dropped)
        {
            Table?.ReleaseLineage(dropped);
        }

        return true;
    }

    /// <summary>Runs <paramref name="callback"/> once the entry completes (now, inline, if it already has).</summary>
    public void OnComplete(Action<ObjectEntry> callback)
    {
        if (_state == Pending)
        {
            lock (Gate)
            {
                if (_state == Pending)
                {
                    switch (_waiters)
                    {
                        case null:
                            _waiters = callback;
                            return;
                        case Action<ObjectEntry> single:
                            _waiters = new List<Action<ObjectEntry>> { single, callback };
                            return;
                        default:
                            ((List<Action<ObjectEntry>>)_waiters).Add(callback);
                            return;
                    }
                }
            }
        }

        callback(this);
    }

    /// <summary>Takes back a callback registered with <see cref="OnComplete"/> that has not run: a waiter that gave up
    /// (timed out, was cancelled, or had enough) must not stay registered until the entry completes, which may be never.</summary>
    /// <remarks>Removes one registration of that delegate instance; does nothing once the entry completed.</remarks>
    public void RemoveOnComplete(Action<ObjectEntry> callback)
    {
        if (_state != Pending)
        {
            return;
        }

        lock (Gate)
        {
            switch (_waiters)
            {
                case Action<ObjectEntry> single when ReferenceEquals(single, callback):
                    _waiters = null;
                    return;
                case List<Action<ObjectEntry>> list:
                    // Waiters that give up are usually the latest ones (polls): search from the end.
                    for (var i = list.Count - 1; i >= 0; i--)
                    {
                        if (ReferenceEquals(list[i], callback))
                        {
                            list.RemoveAt(i);
                            break;
                        }
                    }

                    if (list.Count == 0)
                    {
                        _waiters = null;
                    }

                    return;
            }
        }
    }

    /// <summary>A task that completes (never faults) when the entry does.</summary>
    public Task WhenComplete()
    {
        if (_state != Pending)
        {
            return Task.CompletedTask;
        }

        lock (Gate)
        {
            if (_state != Pending)
            {
                return Task.CompletedTask;
            }

            // Continuations run asynchronously so a result delivered on a worker thread never runs the reader's code there.
            return (_completion ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }

    private bool TryComplete(int state, object? value, RayError? error)
    {
        object? waiters;
        TaskCompletionSource? completion;
        ILineage? dropped = null;
        lock (Gate)
        {
            if (_state != Pending)
            {
                return false;
            }

            _value = value;
            _error = error;
            _state = state;
            waiters = _waiters;
            completion = _completion;
            _waiters = null;
            _completion = null;

            // Only a stored object can be lost with a node: an inline value lives with its owner, a failure stays. Taken
            // under the gate, so whoever sees the entry complete (a ref's detach, under the same gate) sees it without.
            if (state != Stored)
            {
                dropped = TakeLineage();
            }
        }

        Producer = null;
        if (dropped is not null)
        {
            Table?.ReleaseLineage(dropped);
        }
        else if (state == Stored && Table is { } table)
        {
            // The task has run: its arguments stay for this lineage by count, not by the handles it held.
            Lineage?.ReleaseArgumentHandles(table);
        }

        completion?.TrySetResult();
        switch (waiters)
        {
            case Action<ObjectEntry> single:
                single(this);
                break;
            case List<Action<ObjectEntry>> list:
                // Every waiter runs even when one throws (the others would otherwise wait forever); the first exception
                // is rethrown after them, to the code that completed the entry.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo? failure = null;
                foreach (var w in list)
                {
                    try
                    {
                        w(this);
                    }
                    catch (Exception ex)
                    {
                        failure ??= System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex);
                    }
                }

                failure?.Throw();
                break;
        }

        return true;
    }
}
