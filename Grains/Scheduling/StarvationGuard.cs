namespace OrleansRay.Scheduling;

/// <summary>The zero-resource lease cap's escape hatch: tasks that ask for no resources are bounded only by a cap on
/// their concurrent leases, and when every one of those leases is blocked in user code (a lock, a gate, sync I/O: a
/// wait the runtime cannot see) the queued ones would never start, though the one they wait for may be among them.</summary>
/// <remarks>
/// While a zero-resource shape has queued tasks and no lease free, a check runs every <see cref="StarvationCheckInterval"/>:
/// when no task of the shape finished since the previous check, one more lease is allowed (the .NET thread pool injects
/// threads the same way). Busy leases that keep finishing tasks never trigger it, so the cap still bounds the thread
/// count under load; the allowance shrinks again as the shape's leases end. All state is guarded by the engine's lock.
/// </remarks>
internal sealed class StarvationGuard : IDisposable
{
    /// <summary>How long a zero-resource shape at its cap may make no progress before it gets one more lease (the .NET
    /// thread pool's starvation interval: short enough for a stalled task to start soon, long enough that leases which
    /// are merely busy finish a task first).</summary>
    public static readonly TimeSpan StarvationCheckInterval = TimeSpan.FromMilliseconds(500);

    private readonly SchedulerEngine _engine;
    private readonly TimeProvider _timeProvider;
    private ITimer? _timer;
    private bool _armed;
    private bool _disposed;

    public StarvationGuard(SchedulerEngine engine, TimeProvider timeProvider)
    {
        _engine = engine;
        _timeProvider = timeProvider;
    }

    /// <summary>Under the engine's lock: arms the check when a zero-resource shape is left queued at its cap.</summary>
    public void ArmLocked(SchedulingClass cls)
    {
        if (_armed || _disposed || !cls.Shape.IsEmpty)
        {
            return;
        }

        _armed = true;
        _timer ??= _timeProvider.CreateTimer(static state => ((StarvationGuard)state!).Check(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _timer.Change(StarvationCheckInterval, Timeout.InfiniteTimeSpan);
    }

    private void Check() =>
        _engine.ChangeThenGrant(() =>
        {
            _armed = false;
            if (_disposed)
            {
                return false;
            }

            foreach (var cls in _engine.WaitingClassesLocked)
            {
                if (!cls.Shape.IsEmpty || cls.Ready.Count == 0 || cls.ActiveLeases < _engine.ZeroResourceLeaseLimit(cls))
                {
                    continue;
                }

                if (cls.Finished == cls.FinishedAtLastCheck)
                {
                    cls.ExtraLeases++;
                }

                cls.FinishedAtLastCheck = cls.Finished;
            }

            return true; // the grant re-arms the check while a shape is still queued at its limit
        });

    /// <summary>Stops the check.</summary>
    public void Dispose()
    {
        lock (_engine.Gate)
        {
            _disposed = true;
        }

        _timer?.Dispose();
    }
}
