using OrleansRay.Execution;

namespace OrleansRay.Tests.Semantics;

/// <summary>A clock that stands still (until advanced) and timers that fire only when the test says (for a
/// <see cref="WorkerPool"/>'s deferred-item timer).</summary>
internal sealed class ManualTimers : TimeProvider
{
    private readonly List<ManualTimer> _timers = [];
    private long _timestamp = 1_000_000;

    public bool Disposed => _timers.TrueForAll(t => t.Disposed);

    /// <summary>True while a timer is started and not disposed.</summary>
    public bool AnyStarted => _timers.Exists(t => t.Started && !t.Disposed);

    /// <summary>The periods of the started timers, as last set.</summary>
    public TimeSpan[] StartedPeriods => _timers.Where(t => t.Started && !t.Disposed).Select(t => t.Period).ToArray();

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref _timestamp);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _timestamp, by.Ticks);

    /// <summary>Runs every started timer's callback once, on the calling thread.</summary>
    public void Fire()
    {
        foreach (var timer in _timers.ToArray())
        {
            if (timer.Started && !timer.Disposed)
            {
                timer.Callback(timer.State);
            }
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(callback, state);
        timer.Change(dueTime, period);
        _timers.Add(timer);
        return timer;
    }

    private sealed class ManualTimer(TimerCallback callback, object? state) : ITimer
    {
        public TimerCallback Callback { get; } = callback;

        public object? State { get; } = state;

        public bool Started { get; private set; }

        public bool Disposed { get; private set; }

        public TimeSpan Period { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            Started = dueTime != Timeout.InfiniteTimeSpan;
            Period = period;
            return true;
        }

        public void Dispose() => Disposed = true;

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
