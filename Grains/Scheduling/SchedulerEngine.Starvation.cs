namespace OrleansRay.Scheduling;

/// <summary>The zero-resource lease cap's escape hatch: tasks that ask for no resources are bounded only by a cap on
/// their concurrent leases, and when every one of those leases is blocked in user code (a lock, a gate, sync I/O: a
/// wait the runtime cannot see) the queued ones would never start, though the one they wait for may be among them.</summary>
/// <remarks>
/// While a zero-resource shape has queued tasks and no lease free, a check runs every <see cref="StarvationCheckInterval"/>:
/// when no task of the shape finished since the previous check, one more lease is allowed (the .NET thread pool injects
/// threads the same way). Busy leases that keep finishing tasks never trigger it, so the cap still bounds the thread
/// count under load; the allowance shrinks again as the shape's leases end. All state is guarded by <c>_gate</c>.
/// </remarks>
internal sealed partial class SchedulerEngine : IDisposable
{
    /// <summary>How long a zero-resource shape at its cap may make no progress before it gets one more lease (the .NET
    /// thread pool's starvation interval: short enough for a stalled task to start soon, long enough that leases which
    /// are merely busy finish a task first).</summary>
    private static readonly TimeSpan StarvationCheckInterval = TimeSpan.FromMilliseconds(500);

    private ITimer? _starvationTimer;
    private bool _starvationCheckArmed;
    private bool _disposed;

    private int ZeroResourceLeaseLimit(SchedulingClass cls) => _zeroResourceLeaseCap + cls.ExtraLeases;

    /// <summary>Arms the starvation check when a zero-resource shape is left queued at its cap.</summary>
    private void ArmStarvationCheckLocked(SchedulingClass cls)
    {
        if (_starvationCheckArmed || _disposed || !cls.Shape.IsEmpty)
        {
            return;
        }

        _starvationCheckArmed = true;
        _starvationTimer ??= _timeProvider.CreateTimer(static state => ((SchedulerEngine)state!).CheckStarvation(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _starvationTimer.Change(StarvationCheckInterval, Timeout.InfiniteTimeSpan);
    }

    private void CheckStarvation()
    {
        List<Lease>? started = null;
        lock (_gate)
        {
            _starvationCheckArmed = false;
            if (_disposed)
            {
                return;
            }

            foreach (var cls in _waitingClasses)
            {
                if (!cls.Shape.IsEmpty || cls.Ready.Count == 0 || cls.ActiveLeases < ZeroResourceLeaseLimit(cls))
                {
                    continue;
                }

                if (cls.Finished == cls.FinishedAtLastCheck)
                {
                    cls.ExtraLeases++;
                }

                cls.FinishedAtLastCheck = cls.Finished;
            }

            GrantLocked(ref started); // re-arms the check while a shape is still queued at its limit
        }

        Start(started);
    }

    /// <summary>Stops the starvation check.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
        }

        _starvationTimer?.Dispose();
    }
}
