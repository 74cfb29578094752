namespace OrleansRay.Scheduling;

/// <summary>The engine's gauges read under <c>_gate</c>; its counters are in <see cref="Counts"/>.</summary>
internal sealed partial class SchedulerEngine
{
    /// <summary>Task counts (submitted, finished, failed, sent elsewhere, waiting for arguments).</summary>
    public TaskCounters Counts { get; } = new();

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
}
