namespace OrleansRay.Objects;

/// <summary>The owner's record of one object: pending, a value, or an error; plus who waits for it and who holds it.</summary>
/// <remarks>
/// Completion is first-writer-wins (a cancel racing a result keeps whichever came first). Waiters registered before
/// completion run once, after it, outside the entry's lock. Reads of <see cref="State"/> are volatile.
/// </remarks>
internal sealed class ObjectEntry
{
    private const int Pending = 0, Ready = 1, Failed = 2;

    private readonly object _gate = new();
    private volatile int _state;
    private object? _value;
    private RayError? _error;
    private object? _waiters; // null | Action<ObjectEntry> | List<Action<ObjectEntry>>
    private TaskCompletionSource? _completion;

    public ObjectEntry(ObjectId id)
    {
        Id = id;
    }

    public ObjectId Id { get; }

    /// <summary>Live ObjectRef handles in this process. Guarded by the owning table.</summary>
    public int Handles;

    /// <summary>True once the last handle died while still pending: drop on completion.</summary>
    public bool Orphaned;

    /// <summary>The work producing this object (a queued or running task or actor call), for cancellation.</summary>
    public IPendingWork? Producer { get; set; }

    public bool IsComplete => _state != Pending;

    public bool IsFailed => _state == Failed;

    public object? Value => _value;

    public RayError? Error => _error;

    /// <summary>Sets the value; returns false when already complete.</summary>
    public bool TrySetValue(object? value) => TryComplete(Ready, value, null);

    /// <summary>Sets the error; returns false when already complete.</summary>
    public bool TrySetError(RayError error) => TryComplete(Failed, null, error);

    /// <summary>Runs <paramref name="callback"/> once the entry completes (now, inline, if it already has).</summary>
    public void OnComplete(Action<ObjectEntry> callback)
    {
        if (_state == Pending)
        {
            lock (_gate)
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

    /// <summary>A task that completes (never faults) when the entry does.</summary>
    public Task WhenComplete()
    {
        if (_state != Pending)
        {
            return Task.CompletedTask;
        }

        lock (_gate)
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
        lock (_gate)
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
        }

        Producer = null;
        completion?.TrySetResult();
        switch (waiters)
        {
            case Action<ObjectEntry> single:
                single(this);
                break;
            case List<Action<ObjectEntry>> list:
                foreach (var w in list)
                {
                    w(this);
                }

                break;
        }

        return true;
    }
}
