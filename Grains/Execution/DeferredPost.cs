namespace OrleansRay.Execution;

/// <summary>A <see cref="WorkerPool"/>'s item posted with its wake-up deferred (<see cref="WorkerPool.PostDeferred"/>): a
/// driver's only task (or its only call to an actor), which the driver is about to run itself when it gets the result
/// (<see cref="WorkerPool.RunHere"/>).</summary>
/// <remarks>
/// <para>Posting such work the usual way wakes a sleeping worker thread (a futex wake on the submitting side, a context
/// switch on the other) only for that thread to find the work claimed by the driver and sleep again. With both cores
/// busy the woken thread also takes a time slice from the driver. So the pool holds one such item aside instead of
/// queueing it:</para>
/// <list type="bullet">
/// <item>the driver claims it through the item's own claim and tells the pool to forget it
/// (<see cref="Forget"/>);</item>
/// <item>anything else queued on the pool, another deferred item, or a waiter that will not run it
/// (<see cref="QueueNow"/>, through <see cref="Ownership.IPendingWork.Hurry"/>) queues it first, in order;</item>
/// <item>otherwise a timer queues it once it has waited a whole tick (1–8 ms, below), and the pool then defers nothing
/// for 100 ms (the caller's pattern is not submit-then-get). The pool's timer runs on a thread of its own
/// (<see cref="TickThreadTimeProvider"/>): a .NET timer fires late (ADR 0021 measured ~4 ms for 1 ms on Linux), wakes
/// its thread several times per tick, and runs on the .NET thread pool, which a starved pool delays further.</item>
/// </list>
/// <para>The tick starts at <see cref="MinTickPeriod"/> and doubles, up to <see cref="MaxTickPeriod"/>, with every tick
/// that finds nothing to queue (no item, or one deferred since the last tick: the caller keeps coming for its work); a
/// tick that has to queue an item stops the timer (nothing is deferred for the next 100 ms), and the next item deferred
/// starts it again at the shortest. Each tick wakes a thread, which on a machine whose
/// cores are busy may preempt the very caller the deferral is for: with two CPU burners, a 1 ms tick on a .NET timer
/// took 15–20% of the sync round trips' rate (2026-12-04, ADR 0022 session 28 addendum). So an item whose caller never
/// comes waits up to two of the longest ticks.</para>
/// <para>The timer runs only while items are deferred; it stops after <see cref="IdleTimeBeforeStop"/> without one.
/// The item must tolerate running after its work was claimed (it finds nothing to do: <see cref="WorkerPool.FoundNothing"/>).</para>
/// </remarks>
internal sealed class DeferredPost : IDisposable
{
    /// <summary>The first and shortest tick.</summary>
    internal static readonly TimeSpan MinTickPeriod = TimeSpan.FromMilliseconds(1);

    /// <summary>The longest tick, reached after a few ticks with nothing to queue.</summary>
    internal static readonly TimeSpan MaxTickPeriod = TimeSpan.FromMilliseconds(8);

    /// <summary>How long the timer keeps ticking without a deferred item before it stops.</summary>
    private static readonly TimeSpan IdleTimeBeforeStop = TimeSpan.FromMilliseconds(100);

    private readonly WorkerPool _pool;
    private readonly TimeProvider _time;

    private readonly object _deferGate = new();
    private Action<object?>? _deferredWork;
    private object? _deferredState;
    private long _deferredSequence;
    private long _sequenceSeenByTick = -1;
    private long _deferOffUntil;
    private volatile bool _disposed;
    private ITimer? _deferTimer;
    private bool _timerOn;
    private TimeSpan _period = MinTickPeriod;
    private TimeSpan _idleTime;

    /// <param name="pool">The pool the held item goes to.</param>
    /// <param name="time">The clock of the tick timer (a manual one in tests).</param>
    public DeferredPost(WorkerPool pool, TimeProvider time)
    {
        _pool = pool;
        _time = time;
    }

    /// <summary>Holds <paramref name="work"/> aside; posts it at once while deferring is off or after disposal.</summary>
    public void Post(Action<object?> work, object? state)
    {
        if (_disposed || _time.GetTimestamp() < Volatile.Read(ref _deferOffUntil))
        {
            _pool.Post(work, state);
            return;
        }

        // The earlier item, if any, goes to the pool now (before this one, in order); this one waits in its place.
        QueueNow();
        lock (_deferGate)
        {
            // Another thread may have deferred one meanwhile: then this one is queued at once.
            if (_deferredWork is null && !_disposed)
            {
                _deferredWork = work;
                _deferredState = state;
                _deferredSequence++;
                StartTimerLocked();
                return;
            }
        }

        _pool.Post(work, state);
    }

    /// <summary>True while an item is deferred (for tests).</summary>
    public bool HasItem => Volatile.Read(ref _deferredWork) is not null;

    /// <summary>Drops the deferred item if it is <paramref name="state"/>'s (its caller claimed and ran the work). True
    /// when it dropped it; false when the item is not (or no longer) held here.</summary>
    public bool Forget(object state)
    {
        if (!ReferenceEquals(Volatile.Read(ref _deferredState), state))
        {
            return false;
        }

        lock (_deferGate)
        {
            if (ReferenceEquals(_deferredState, state))
            {
                ClearLocked();
                return true;
            }
        }

        return false;
    }

    /// <summary>Queues the deferred item, if any, on the pool now (ahead of what the caller queues next).</summary>
    public void QueueNow()
    {
        if (Volatile.Read(ref _deferredWork) is null)
        {
            return;
        }

        Action<object?>? work;
        object? state;
        lock (_deferGate)
        {
            work = _deferredWork;
            state = _deferredState;
            ClearLocked();
        }

        if (work is not null)
        {
            PostWithoutFlow(work, state);
        }
    }

    /// <summary>Posts a deferred item from whichever thread lets it go (a later submit, a waiter, the timer) without that
    /// thread's execution context: the item belongs to the caller that deferred it, which posted it without its own.</summary>
    private void PostWithoutFlow(Action<object?> work, object? state)
    {
        if (ExecutionContext.IsFlowSuppressed())
        {
            _pool.Post(work, state);
            return;
        }

        using (ExecutionContext.SuppressFlow())
        {
            _pool.Post(work, state);
        }
    }

    private void ClearLocked()
    {
        _deferredWork = null;
        _deferredState = null;
    }

    private void StartTimerLocked()
    {
        _idleTime = TimeSpan.Zero;
        if (_timerOn)
        {
            return;
        }

        _timerOn = true;
        if (_deferTimer is null)
        {
            // Without the caller's execution context: the timer outlives the submit that started it.
            using (ExecutionContext.IsFlowSuppressed() ? default(AsyncFlowControl?) : ExecutionContext.SuppressFlow())
            {
                _deferTimer = _time.CreateTimer(static deferred => ((DeferredPost)deferred!).Tick(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
        }

        _period = MinTickPeriod;
        _deferTimer.Change(_period, _period);
    }

    /// <summary>The current tick period (for tests).</summary>
    internal TimeSpan TickPeriod
    {
        get
        {
            lock (_deferGate)
            {
                return _period;
            }
        }
    }

    /// <summary>Under the lock: stops the tick until the next item is deferred (<see cref="StartTimerLocked"/>).</summary>
    private void StopTimerLocked()
    {
        if (_timerOn)
        {
            _timerOn = false;
            _deferTimer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Under the lock, in a tick that found nothing to queue: the next tick comes later (up to the longest).</summary>
    private void LengthenTickLocked()
    {
        if (_period < MaxTickPeriod && _timerOn)
        {
            _period = _period * 2 < MaxTickPeriod ? _period * 2 : MaxTickPeriod;
            _deferTimer?.Change(_period, _period);
        }
    }

    /// <summary>Every tick while items are deferred: queues one that has waited a whole tick.</summary>
    private void Tick()
    {
        Action<object?>? work = null;
        object? state = null;
        lock (_deferGate)
        {
            if (_deferredWork is null)
            {
                _idleTime += _period;
                if (_idleTime > IdleTimeBeforeStop)
                {
                    StopTimerLocked();
                    return;
                }

                LengthenTickLocked();
                return;
            }

            _idleTime = TimeSpan.Zero;
            if (_sequenceSeenByTick != _deferredSequence)
            {
                _sequenceSeenByTick = _deferredSequence; // deferred since the last tick: give it until the next
                LengthenTickLocked();
                return;
            }

            work = _deferredWork;
            state = _deferredState;
            ClearLocked();
            Volatile.Write(ref _deferOffUntil, _time.GetTimestamp() + (_time.TimestampFrequency / 10));
            // Its caller did not come. Nothing is deferred for the next 100 ms, so there is nothing to tick for; the next
            // item deferred restarts the timer at the shortest tick, to watch it closely again.
            StopTimerLocked();
        }

        PostWithoutFlow(work, state);
    }

    /// <summary>On the pool's disposal: queues the deferred item (to the thread pool by then) and stops the timer.</summary>
    public void Dispose()
    {
        lock (_deferGate)
        {
            _disposed = true; // under the lock: nothing is deferred after the item below is queued
        }

        QueueNow();
        lock (_deferGate)
        {
            _timerOn = false;
            _deferTimer?.Dispose();
        }
    }
}
