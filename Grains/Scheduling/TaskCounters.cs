namespace OrleansRay.Scheduling;

/// <summary>A node's task counts for metrics and the dashboard: monotonic counters and one gauge, each updated with
/// <see cref="Interlocked"/> off the scheduler's lock.</summary>
internal sealed class TaskCounters
{
    private int _waitingForArgs;
    private long _submitted;
    private long _finished;
    private long _failed;
    private long _sentElsewhere;
    private long _ownedDone;

    /// <summary>Tasks submitted to this node by their owners here.</summary>
    public long Submitted => Interlocked.Read(ref _submitted);

    /// <summary>Tasks finished here without an error.</summary>
    public long Finished => Interlocked.Read(ref _finished);

    /// <summary>Tasks finished here with an error.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Tasks submitted here that ran (or were sent to run) on another node.</summary>
    public long SentElsewhere => Interlocked.Read(ref _sentElsewhere);

    /// <summary>Tasks submitted here that are neither done nor sent elsewhere: those of other owners that run here are
    /// not counted (what "the only task in flight" of a driver on this node means).</summary>
    public long OwnedInFlight => Submitted - SentElsewhere - Interlocked.Read(ref _ownedDone);

    /// <summary>Tasks waiting for object arguments now.</summary>
    public int WaitingForArgs => Volatile.Read(ref _waitingForArgs);

    /// <summary>Counts a submitted task.</summary>
    public void RecordSubmitted() => Interlocked.Increment(ref _submitted);

    /// <summary>Counts a task of this node sent to another one (its first send only).</summary>
    public void RecordSentElsewhere() => Interlocked.Increment(ref _sentElsewhere);

    /// <summary>Counts a finished task (success or failure).</summary>
    /// <param name="failed">True when it ended with an error.</param>
    /// <param name="owned">False for a task of another node's owner that ran here.</param>
    public void RecordFinished(bool failed, bool owned = true)
    {
        if (owned)
        {
            Interlocked.Increment(ref _ownedDone);
        }

        if (failed)
        {
            Interlocked.Increment(ref _failed);
        }
        else
        {
            Interlocked.Increment(ref _finished);
        }
    }

    /// <summary>A task started waiting for its object arguments.</summary>
    public void WaitingForArgsStarted() => Interlocked.Increment(ref _waitingForArgs);

    /// <summary>A task's object arguments are all ready.</summary>
    public void WaitingForArgsEnded() => Interlocked.Decrement(ref _waitingForArgs);
}
