namespace OrleansRay.Execution;

/// <summary>The latest finished tasks of a node in a fixed-size ring: a long-running node keeps at most
/// <see cref="Capacity"/> events however many tasks it runs (Ray's GCS task table grows without limit).</summary>
/// <remarks>Thread-safe; <see cref="Record"/> is O(1) under a short lock and allocates nothing but the event.
/// At the default capacity of 10,000 events of ~200 bytes each the log holds ~2 MB.</remarks>
internal sealed class TaskEventLog
{
    /// <summary>The default number of events kept: enough for the dashboard's latest-tasks table, ~2 MB.</summary>
    public const int DefaultCapacity = 10_000;

    private readonly TaskEvent[] _ring;
    private readonly Lock _gate = new();
    private long _recorded;

    public TaskEventLog(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _ring = new TaskEvent[capacity];
    }

    /// <summary>The most events kept; older ones are overwritten.</summary>
    public int Capacity => _ring.Length;

    /// <summary>Events recorded since start, including overwritten ones.</summary>
    public long Recorded => Interlocked.Read(ref _recorded);

    /// <summary>Events held now (at most <see cref="Capacity"/>).</summary>
    public int Count => (int)Math.Min(Recorded, _ring.Length);

    /// <summary>Adds an event, overwriting the oldest when full.</summary>
    public void Record(TaskEvent taskEvent)
    {
        lock (_gate)
        {
            _ring[_recorded % _ring.Length] = taskEvent;
            Interlocked.Increment(ref _recorded);
        }
    }

    /// <summary>Up to <paramref name="max"/> of the latest events, newest first.</summary>
    public IReadOnlyList<TaskEvent> Latest(int max)
    {
        lock (_gate)
        {
            var count = (int)Math.Min(Math.Min(_recorded, _ring.Length), Math.Max(0, max));
            var result = new List<TaskEvent>(count);
            for (var i = 1; i <= count; i++)
            {
                result.Add(_ring[(_recorded - i) % _ring.Length]);
            }

            return result;
        }
    }
}
