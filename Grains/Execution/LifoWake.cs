namespace OrleansRay.Execution;

/// <summary>A semaphore whose releases wake the thread that began waiting last: a <see cref="WorkerPool"/>'s sleeping
/// threads, so that under a light load the same few threads take the work and the others time out and leave
/// (the .NET thread pool wakes its workers in the same order, for the same reason).</summary>
/// <remarks><see cref="SemaphoreSlim"/> wakes its waiters first in, first out: with items arriving one at a time, every
/// sleeper got one in turn, none ever waited its whole idle timeout, and a pool grown by a burst of blocking work kept
/// every thread under any steady trickle of work (a review measured 32 threads kept by an item every 40 ms with a 2 s
/// timeout, 2026-12-04). Each waiting thread waits on an event of its own; a release with no waiter is kept as a
/// permit for the next wait.</remarks>
internal sealed class LifoWake
{
    private readonly object _gate = new();
    private readonly List<Waiter> _waiters = []; // the last one began waiting last
    private int _permits;

    [ThreadStatic]
    private static Waiter? _threadWaiter;

    /// <summary>Wakes the <paramref name="count"/> threads that began waiting last; a release no thread waits for is
    /// kept for the next wait.</summary>
    public void Release(int count = 1)
    {
        lock (_gate)
        {
            for (var i = 0; i < count; i++)
            {
                if (_waiters.Count == 0)
                {
                    _permits += count - i;
                    return;
                }

                var waiter = _waiters[^1];
                _waiters.RemoveAt(_waiters.Count - 1);
                waiter.Woken = true;
                waiter.Event.Set();
            }
        }
    }

    /// <summary>Waits for a release, at most <paramref name="millisecondsTimeout"/> ms (-1: no limit). True when
    /// released, false when the time ran out.</summary>
    public bool Wait(int millisecondsTimeout)
    {
        var waiter = _threadWaiter ??= new Waiter();
        lock (_gate)
        {
            if (_permits > 0)
            {
                _permits--;
                return true;
            }

            waiter.Woken = false;
            waiter.Event.Reset();
            _waiters.Add(waiter);
        }

        if (waiter.Event.Wait(millisecondsTimeout))
        {
            return true;
        }

        lock (_gate)
        {
            if (waiter.Woken)
            {
                return true; // released as the time ran out: the release is this thread's
            }

            _waiters.Remove(waiter);
            return false;
        }
    }

    /// <summary>Threads waiting now (for tests).</summary>
    internal int Waiting
    {
        get
        {
            lock (_gate)
            {
                return _waiters.Count;
            }
        }
    }

    private sealed class Waiter
    {
        /// <summary>The thread's own event (a thread waits in one pool only); it spins briefly before it blocks, as a
        /// <see cref="SemaphoreSlim"/> does.</summary>
        public readonly ManualResetEventSlim Event = new(false);

        public bool Woken;
    }
}
