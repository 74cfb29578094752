namespace OrleansRay.Internal;

/// <summary>The one check of the timeouts of gets, waits, queue and pool calls and placement-group waits.</summary>
internal static class Timeouts
{
    /// <summary>The longest wait a .NET timer takes (about 49.7 days).</summary>
    public static readonly TimeSpan LongestTimer = TimeSpan.FromMilliseconds(uint.MaxValue - 1.0);

    /// <summary>Checks <paramref name="timeout"/>; null (wait as long as it takes) for null,
    /// <see cref="Timeout.InfiniteTimeSpan"/> and anything longer than <see cref="LongestTimer"/> (such as
    /// <see cref="TimeSpan.MaxValue"/>, as Ray's <c>timeout=None</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">It is negative, and not <see cref="Timeout.InfiniteTimeSpan"/>.</exception>
    public static TimeSpan? Check(TimeSpan? timeout)
    {
        if (timeout is not { } t || t == Timeout.InfiniteTimeSpan || t > LongestTimer)
        {
            return null;
        }

        return t < TimeSpan.Zero
            ? throw new ArgumentOutOfRangeException(nameof(timeout), t, "The timeout must be zero or positive, or Timeout.InfiniteTimeSpan (or null where the parameter allows it) to wait as long as it takes.")
            : t;
    }
}
