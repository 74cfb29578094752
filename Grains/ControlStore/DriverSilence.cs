namespace OrleansRay.ControlStore;

/// <summary>When a connected driver's silence means its job is lost (<see cref="JobTableGrain"/>): it has not reported
/// for <see cref="DriverLost"/>, counted from no earlier than the table's start or the end of the head's last stall.
/// A head that stood still (its process paused, or starved of CPU) heard nobody meanwhile, so the drivers' silence
/// then is not theirs; each gets a fresh <see cref="DriverLost"/> to report once the head runs again. A head restarted
/// on PostgreSQL likewise gives the drivers of the jobs it reloads a fresh deadline.</summary>
/// <remarks>Not thread-safe: the grain calls it on its own turns.</remarks>
internal sealed class DriverSilence
{
    /// <summary>A running job whose driver has not reported for this long has failed: 15 s.</summary>
    public static readonly TimeSpan DriverLost = TimeSpan.FromSeconds(15);

    /// <summary>A gap this long between two notes that the table runs means the head stood still: 5 s (the table notes
    /// it every second, <see cref="JobTableGrain"/>'s timer).</summary>
    public static readonly TimeSpan StallAfter = TimeSpan.FromSeconds(5);

    private long _awakeAt;
    private DateTimeOffset _graceFrom;

    /// <summary>Starts counting at <paramref name="now"/> (monotonic milliseconds) and <paramref name="wallNow"/>.</summary>
    public DriverSilence(long now, DateTimeOffset wallNow)
    {
        _awakeAt = now;
        _graceFrom = wallNow;
    }

    /// <summary>Notes that the head runs at <paramref name="now"/> (monotonic milliseconds, which go on while the
    /// process is paused) and <paramref name="wallNow"/>: after a gap of <see cref="StallAfter"/>, silence before
    /// <paramref name="wallNow"/> no longer counts.</summary>
    public void NoteAwake(long now, DateTimeOffset wallNow)
    {
        if (now - _awakeAt > (long)StallAfter.TotalMilliseconds)
        {
            _graceFrom = wallNow;
        }

        _awakeAt = now;
    }

    /// <summary>True when a driver last heard at <paramref name="reported"/> is lost at <paramref name="wallNow"/>.</summary>
    public bool IsLost(DateTimeOffset reported, DateTimeOffset wallNow) =>
        wallNow - (reported > _graceFrom ? reported : _graceFrom) > DriverLost;

    /// <summary>When each driver put its job's row (<see cref="NoteAttached"/>), for the drivers not yet forgotten.</summary>
    private readonly Dictionary<string, DateTimeOffset> _attached = new(StringComparer.Ordinal);

    /// <summary>Notes that <paramref name="driver"/> put its job's row at <paramref name="wallNow"/>: it is heard then,
    /// whatever its job's start time says. A job submitted with <c>orleansray job submit</c> keeps its submit time as
    /// its start, and its driver may connect long after (a build first); counted from the submit time, a driver that
    /// connected 15 s or more after it was lost before its first report reached the node table.</summary>
    public void NoteAttached(string driver, DateTimeOffset wallNow) => _attached[driver] = wallNow;

    /// <summary>Forgets <paramref name="driver"/>'s attach time (its job ended).</summary>
    public void Forget(string driver) => _attached.Remove(driver);

    /// <summary>When <paramref name="driver"/>, whose job started at <paramref name="startedAt"/>, was last heard: the
    /// latest of its last report to the node table (<paramref name="seen"/>, null when the table has none), the time it
    /// put its job's row (<see cref="NoteAttached"/>) and its job's start. <see cref="IsLost"/> judges that time.</summary>
    public DateTimeOffset LastHeard(string driver, DateTimeOffset? seen, DateTimeOffset startedAt)
    {
        var heard = startedAt;
        if (seen is { } at && at > heard)
        {
            heard = at;
        }

        if (_attached.TryGetValue(driver, out var attached) && attached > heard)
        {
            heard = attached;
        }

        return heard;
    }
}
