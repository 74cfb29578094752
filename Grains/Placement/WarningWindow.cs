namespace OrleansRay.Placement;

/// <summary>Lets one warning about a recurring event through per <see cref="Interval"/> and counts the items of the events
/// it held back, for the next warning to mention (a node that cannot be reached fails every send to it until it is
/// declared dead, and each would otherwise be a line of its own). Safe from any thread.</summary>
internal sealed class WarningWindow
{
    /// <summary>At most one warning per this long: 10 s.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private long _warnedAt;
    private bool _warned;
    private int _unwarned;

    /// <summary>A window on <paramref name="time"/>'s clock (default: the system's).</summary>
    public WarningWindow(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
    }

    /// <summary>True when an event of <paramref name="count"/> items may be warned about now (the first, or the first
    /// after <see cref="Interval"/>), with the items of the events held back since the last warning in
    /// <paramref name="unwarned"/>; false when it is held back (its items are counted for the next).</summary>
    public bool TryWarn(int count, out int unwarned)
    {
        var now = _time.GetTimestamp();
        lock (_gate)
        {
            if (_warned && _time.GetElapsedTime(_warnedAt, now) < Interval)
            {
                _unwarned += count;
                unwarned = 0;
                return false;
            }

            (_warned, _warnedAt, unwarned, _unwarned) = (true, now, _unwarned, 0);
            return true;
        }
    }
}
