using System.Diagnostics;

namespace OrleansRay.Execution;

/// <summary>The system clock with timers that each run on a thread of their own, which sleeps precisely until its
/// timer is due: for a short periodic timer (<see cref="DeferredPost"/>'s tick) that must cost one wake-up per tick.</summary>
/// <remarks>
/// <para>A <see cref="System.Threading.Timer"/> on Linux costs more than that. The .NET timer thread reads a coarse
/// clock (<see cref="Environment.TickCount64"/>, which moves in kernel ticks: 4 ms here), so a timer due in less than
/// one such tick finds itself not yet due when the precise wait ends, and the thread waits again in 1 ms steps: an
/// 8 ms periodic timer woke it about four times per tick, ~500 times a second (strace, 2026-12-04). A fired timer then
/// wakes a thread-pool thread to run the callback, which spins before it sleeps again. On a machine whose cores are
/// busy, each of those wake-ups may preempt the thread the timer serves.</para>
/// <para>Each timer here has its own thread, started when it is first armed and blocked without a timeout while it is
/// stopped; its callback runs on that thread, so it must be short and must not block.</para>
/// </remarks>
internal sealed class TickThreadTimeProvider : TimeProvider
{
    /// <summary>The one instance (it holds no state).</summary>
    public static readonly TickThreadTimeProvider Instance = new();

    private TickThreadTimeProvider()
    {
    }

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new TickThreadTimer(callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>A timer whose callbacks run on its own thread.</summary>
    private sealed class TickThreadTimer : ITimer
    {
        private const long Stopped = -1;

        private readonly TimerCallback _callback;
        private readonly object? _state;
        private readonly object _gate = new();
        private long _dueTimestamp = Stopped;
        private long _periodTicks;
        private bool _disposed;
        private bool _started;

        public TickThreadTimer(TimerCallback callback, object? state)
        {
            _callback = callback;
            _state = state;
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            CheckSpan(dueTime, nameof(dueTime));
            CheckSpan(period, nameof(period));
            lock (_gate)
            {
                if (_disposed)
                {
                    return false;
                }

                _dueTimestamp = dueTime == Timeout.InfiniteTimeSpan ? Stopped : Stopwatch.GetTimestamp() + ToTimestampTicks(dueTime);
                _periodTicks = period == Timeout.InfiniteTimeSpan || period <= TimeSpan.Zero ? 0 : ToTimestampTicks(period);
                if (_dueTimestamp != Stopped && !_started)
                {
                    _started = true;
                    // Without the caller's execution context: the thread outlives the call that armed the timer.
                    new Thread(Loop) { IsBackground = true, Name = "orleansray-tick" }.UnsafeStart();
                }

                Monitor.Pulse(_gate); // the thread waits for the old due time: it looks again
            }

            return true;
        }

        private void Loop()
        {
            while (true)
            {
                lock (_gate)
                {
                    while (true)
                    {
                        if (_disposed)
                        {
                            return;
                        }

                        if (_dueTimestamp == Stopped)
                        {
                            Monitor.Wait(_gate);
                            continue;
                        }

                        var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), _dueTimestamp);
                        if (left <= TimeSpan.Zero)
                        {
                            break;
                        }

                        // Whole milliseconds, rounded up: rounded down, a wait under 1 ms would return at once and spin.
                        Monitor.Wait(_gate, (int)Math.Min(Math.Ceiling(left.TotalMilliseconds), int.MaxValue));
                    }

                    _dueTimestamp = _periodTicks > 0 ? Stopwatch.GetTimestamp() + _periodTicks : Stopped;
                }

                _callback(_state); // outside the lock: the callback may change this timer
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _disposed = true;
                Monitor.Pulse(_gate);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }

        /// <summary>As <see cref="System.Threading.Timer"/>: a span is infinite, or 0 to 4,294,967,294 ms.</summary>
        private static void CheckSpan(TimeSpan span, string name)
        {
            if (span != Timeout.InfiniteTimeSpan && (span < TimeSpan.Zero || span.TotalMilliseconds > MaxMilliseconds))
            {
                throw new ArgumentOutOfRangeException(name, span, $"A timer's {name} is Timeout.InfiniteTimeSpan or 0 to {MaxMilliseconds:N0} ms.");
            }
        }

        private const double MaxMilliseconds = 0xfffffffe;

        private static long ToTimestampTicks(TimeSpan span) =>
            Math.Max(0, (long)(span.TotalSeconds * Stopwatch.Frequency));
    }
}
