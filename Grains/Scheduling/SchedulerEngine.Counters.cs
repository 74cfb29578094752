namespace OrleansRay.Scheduling;

/// <summary>The engine's counts for metrics and the node's status: monotonic counters updated with
/// <see cref="Interlocked"/>, and gauges read under <c>_gate</c>.</summary>
internal sealed partial class SchedulerEngine
{
    private int _waitingForArgs;
    private long _submitted;
    private long _finished;
    private long _failed;
    private long _sentElsewhere;

    /// <summary>Tasks submitted to this node by their owners here.</summary>
    public long SubmittedCount => Interlocked.Read(ref _submitted);

    /// <summary>Tasks finished here without an error.</summary>
    public long FinishedCount => Interlocked.Read(ref _finished);

    /// <summary>Tasks finished here with an error.</summary>
    public long FailedCount => Interlocked.Read(ref _failed);

    /// <summary>Tasks submitted here that ran (or were sent to run) on another node.</summary>
    public long SentElsewhereCount => Interlocked.Read(ref _sentElsewhere);

    /// <summary>Tasks waiting for object arguments.</summary>
    public int WaitingForArgs => Volatile.Read(ref _waitingForArgs);

    /// <summary>Tasks queued for resources.</summary>
    public int QueuedCount
    {
        get
        {
            lock (_gate)
            {
                return _waitingClasses.Sum(c => c.Ready.Count);
            }
        }
    }

    /// <summary>Tasks running now.</summary>
    public int RunningCount
    {
        get
        {
            lock (_gate)
            {
                return _leases.Count;
            }
        }
    }

    /// <summary>Counts a task of this node sent to another one (its first send only).</summary>
    public void RecordSentElsewhere() => Interlocked.Increment(ref _sentElsewhere);

    /// <summary>Counts a finished task (success or failure) for metrics.</summary>
    public void RecordFinished(bool failed)
    {
        if (failed)
        {
            Interlocked.Increment(ref _failed);
        }
        else
        {
            Interlocked.Increment(ref _finished);
        }
    }

    private void CountSubmitted() => Interlocked.Increment(ref _submitted);
}
