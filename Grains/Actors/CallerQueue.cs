namespace OrleansRay.Actors;

/// <summary>One caller's calls to an actor, keyed by sequence number; runs them strictly in that order.</summary>
/// <remarks>
/// A synchronous caller has one call queued at a time: that call is held in a slot of its own, and the sorted set that
/// restores the order of calls arriving out of order exists only while more than one is queued (no allocation per call
/// on the common path). An emptied queue may be reused for another caller (<see cref="Reset"/>). Not thread-safe: the
/// mailbox's lock guards it.
/// </remarks>
internal sealed class CallerQueue
{
    private long _singleSequence;
    private ActorCall? _single;
    private SortedDictionary<long, ActorCall>? _more;

    public CallerQueue(WorkerId caller, long next)
    {
        Caller = caller;
        Next = next;
    }

    public WorkerId Caller { get; private set; }

    /// <summary>The sequence number that runs next.</summary>
    public long Next;

    /// <summary>True while the head call waits for an object argument (a callback is registered).</summary>
    public bool HeadWaiting;

    /// <summary>Calls queued, possibly out of order.</summary>
    public int Count => (_single is null ? 0 : 1) + (_more?.Count ?? 0);

    /// <summary>The call that runs next, if it has arrived.</summary>
    public ActorCall? Head => TryGet(Next, out var call) ? call : null;

    /// <summary>The lowest sequence number queued; only when <see cref="Count"/> &gt; 0.</summary>
    public long FirstSequence => _single is not null ? _singleSequence : _more!.Keys.First();

    /// <summary>The calls queued, in sequence order.</summary>
    public IEnumerable<ActorCall> Calls => _single is not null ? [_single] : (_more?.Values ?? Enumerable.Empty<ActorCall>());

    /// <summary>Makes an emptied queue the queue of <paramref name="caller"/>, going on from <paramref name="next"/>.</summary>
    public void Reset(WorkerId caller, long next)
    {
        Caller = caller;
        Next = next;
        HeadWaiting = false;
        Clear();
    }

    /// <summary>Queues a call; false when one with that sequence number is queued already.</summary>
    public bool TryAdd(long sequence, ActorCall call)
    {
        if (Count == 0)
        {
            (_singleSequence, _single) = (sequence, call);
            return true;
        }

        if (_single is not null)
        {
            if (_singleSequence == sequence)
            {
                return false;
            }

            (_more ??= new()).Add(_singleSequence, _single);
            _single = null;
        }

        return _more!.TryAdd(sequence, call);
    }

    public bool TryGet(long sequence, out ActorCall call)
    {
        if (_single is not null && _singleSequence == sequence)
        {
            call = _single;
            return true;
        }

        call = null!;
        if (_single is not null)
        {
            return false;
        }

        return _more is not null && _more.TryGetValue(sequence, out call!);
    }

    /// <summary>Replaces the queued call with <paramref name="sequence"/> (which must be queued).</summary>
    public void Set(long sequence, ActorCall call)
    {
        if (_single is not null && _singleSequence == sequence)
        {
            _single = call;
        }
        else
        {
            _more![sequence] = call;
        }
    }

    public void Remove(long sequence)
    {
        if (_single is not null)
        {
            if (_singleSequence == sequence)
            {
                _single = null;
            }

            return;
        }

        _more?.Remove(sequence);
    }

    public void Clear()
    {
        _single = null;
        _more?.Clear();
    }
}
