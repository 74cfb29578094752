using System.Diagnostics;

namespace OrleansRay.ObjectStore.Storage;

/// <summary>A point in monotonic time; <see cref="Timeout.InfiniteTimeSpan"/> never expires.</summary>
internal readonly struct Deadline
{
    private readonly long _timestamp;

    private Deadline(long timestamp)
    {
        _timestamp = timestamp;
    }

    public static Deadline After(TimeSpan timeout)
    {
        if (timeout == Timeout.InfiniteTimeSpan || timeout.Ticks >= long.MaxValue / 4)
        {
            return new Deadline(long.MaxValue);
        }

        if (timeout < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), "A timeout must be >= 0 or infinite.");
        }

        return new Deadline(Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency));
    }

    public bool IsInfinite => _timestamp == long.MaxValue;

    /// <summary>Time left, Zero when expired, <see cref="Timeout.InfiniteTimeSpan"/> when infinite.</summary>
    public TimeSpan Remaining
    {
        get
        {
            if (IsInfinite)
            {
                return Timeout.InfiniteTimeSpan;
            }

            var left = _timestamp - Stopwatch.GetTimestamp();
            return left <= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(left / (double)Stopwatch.Frequency);
        }
    }

    public bool IsExpired => !IsInfinite && Stopwatch.GetTimestamp() >= _timestamp;
}
