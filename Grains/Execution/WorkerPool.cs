using System.Collections.Concurrent;
using OrleansRay.Transport;

namespace OrleansRay.Execution;

/// <summary>The node's worker threads: user functions and actor methods run here, never on the grain scheduler or the
/// .NET thread pool, so user code that blocks (Thread.Sleep, sync I/O) cannot starve Orleans.</summary>
/// <remarks>
/// A <see cref="TaskScheduler"/>, so <c>await</c> inside user code resumes on these threads too. It starts with
/// <c>minThreads</c> threads and adds one whenever an item is queued that no waiting thread is free to take (a blocked
/// function then costs one extra thread, not a stall), up to <c>maxThreads</c>. The scheduler engine bounds how much
/// work is admitted, so the thread count follows the node's CPU slots plus blocked or zero-CPU work.
/// <para>Invariant: <c>_spare</c> = threads waiting for work (or about to) minus items queued and not yet taken. A
/// thread counts itself in before it waits; an item counts itself out when queued; a take changes both sides, so it
/// leaves <c>_spare</c> alone. A queued item that drives <c>_spare</c> negative has no thread to take it and starts
/// one, so every runnable item has a thread of its own even when each thread that takes one blocks in user code.
/// (Counting idle threads instead, as before, let items queued back to back all count the same idle thread: the
/// first blocked it and the rest waited, forever when they were what would unblock it.)</para>
/// <para>A thread counts itself in when it is started, not when it first runs: items queued before a new thread gets
/// a core then see it. An item whose work its caller claimed and runs itself (<see cref="ClaimedHere"/>) is counted
/// out by that claim, as if taken: the worker thread that later dequeues it finds nothing to do and does not count
/// itself back in for it. Without that, a driver's sync loop on a machine whose cores are busy, whose items were
/// queued but claimed by the driver before any worker thread got a core, started a thread per item (93 and 130 in
/// two 30 s runs with two CPU burners, 2026-12-04).</para>
/// <para>A thread above <c>minThreads</c> that has waited <c>idleThreadTimeout</c> (20 s by default, as the .NET thread
/// pool's) for work leaves, unless an item queued meanwhile counts on it: after a burst of blocking tasks the pool
/// shrinks back, as Ray's worker pool kills workers idle beyond its soft limit.</para>
/// </remarks>
internal sealed class WorkerPool : TaskScheduler, IDisposable
{
    private readonly ConcurrentQueue<Task> _queue = new();

    /// <summary>Wakes sleeping threads, the one that fell asleep last first: released once per item queued while a
    /// thread sleeps (extra releases only cost a thread a look at an empty queue).</summary>
    private readonly LifoWake _wake = new();

    /// <summary>How long an idle thread keeps looking for work before it sleeps (one thread at a time): a caller that
    /// submits its next task right after its last result then finds a running thread instead of waking a sleeping one.</summary>
    private static readonly long SpinTicks = System.Diagnostics.Stopwatch.Frequency / 20_000; // 50 µs

    private readonly DeferredPost _deferred;
    private int _sleepers;
    private int _spinning;
    private readonly int _maxThreads;
    private readonly int _minThreads;
    private readonly int _idleTimeoutMilliseconds;
    private readonly string _name;
    private int _threads;
    private int _spare;
    private volatile bool _disposed;

    [ThreadStatic]
    private static WorkerPool? _current;

    /// <summary>The pool whose work this thread runs in place (<see cref="RunHere"/>), though it is not one of its threads.</summary>
    [ThreadStatic]
    private static WorkerPool? _runningHere;

    /// <summary>Set by the item a worker thread runs when it found its work already taken (<see cref="FoundNothing"/>).</summary>
    [ThreadStatic]
    private static bool _foundNothing;

    [ThreadStatic]
    private static Action<object?>? _hereWork;

    [ThreadStatic]
    private static object? _hereState;

    /// <summary>An execution context with no async locals: what work queued on the pool runs under.</summary>
    private static readonly ExecutionContext DefaultContext = CaptureDefaultContext();

    /// <param name="name">The threads' name prefix.</param>
    /// <param name="minThreads">Threads started at once (at least 1, at most <see cref="ThreadLimit"/>).</param>
    /// <param name="maxThreads">The most threads the pool starts (at most <see cref="ThreadLimit"/>).</param>
    /// <param name="timeProvider">The clock of the deferred-item timer (<see cref="PostDeferred"/>); by default the system's,
    /// with the timer on a thread of its own (<see cref="TickThreadTimeProvider"/>).</param>
    /// <param name="idleThreadTimeout">How long a thread above <paramref name="minThreads"/> waits for work before it
    /// leaves; 20 s when null, never with <see cref="Timeout.InfiniteTimeSpan"/>. Otherwise positive, at most
    /// <see cref="int.MaxValue"/> ms. <paramref name="maxThreads"/> is raised to <paramref name="minThreads"/> if lower.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="idleThreadTimeout"/> is neither infinite nor
    /// positive, or is too long.</exception>
    public WorkerPool(string name, int minThreads, int maxThreads, TimeProvider? timeProvider = null, TimeSpan? idleThreadTimeout = null)
    {
        var idle = idleThreadTimeout ?? DefaultIdleThreadTimeout;
        if (idle != Timeout.InfiniteTimeSpan && (idle <= TimeSpan.Zero || idle.TotalMilliseconds > int.MaxValue))
        {
            throw new ArgumentOutOfRangeException(nameof(idleThreadTimeout), idle, $"A worker thread's idle timeout is positive and at most {int.MaxValue:N0} ms.");
        }

        _name = name;
        _deferred = new DeferredPost(this, timeProvider ?? TickThreadTimeProvider.Instance);
        _minThreads = Math.Clamp(minThreads, 1, ThreadLimit);
        _maxThreads = Math.Clamp(maxThreads, _minThreads, ThreadLimit);
        _idleTimeoutMilliseconds = idle == Timeout.InfiniteTimeSpan ? Timeout.Infinite : (int)Math.Ceiling(idle.TotalMilliseconds);
        for (var i = 0; i < _minThreads; i++)
        {
            StartThread();
        }
    }

    /// <summary>The most threads any pool starts, whatever it is asked for: a node's CPUs are logical (Ray's num_cpus) and
    /// may be set far above what a process can run as threads; a million threads exhaust the process's memory mappings
    /// and the runtime aborts it. Items beyond this many running at once wait in the queue.</summary>
    public const int ThreadLimit = 4096;

    /// <summary>How long a thread above the minimum waits for work before it leaves, unless the pool is given another.</summary>
    public static readonly TimeSpan DefaultIdleThreadTimeout = TimeSpan.FromSeconds(20);

    public int ThreadCount => Volatile.Read(ref _threads);

    /// <summary>True on a thread of any worker pool, and on a thread running a pool's work in its place (where user
    /// code runs and may block).</summary>
    public static bool IsWorkerThread => _current is not null || _runningHere is not null;

    public override int MaximumConcurrencyLevel => _maxThreads;

    /// <summary>Runs <paramref name="work"/> on a worker thread.</summary>
    public Task Run(Func<Task> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.DenyChildAttach, this).Unwrap();

    /// <summary>Starts <paramref name="work"/> (with <paramref name="state"/>) on a worker thread, nothing to wait for: one
    /// task object, where <see cref="Run"/> allocates a closure, a task of a task and its unwrapping on every call. The
    /// work runs under this scheduler, so its awaits come back to a worker thread; it must not throw.</summary>
    public void Post(Action<object?> work, object? state) =>
        _ = Task.Factory.StartNew(work, state, CancellationToken.None, TaskCreationOptions.DenyChildAttach, this);

    /// <summary>Runs <paramref name="work"/> on the calling thread as if on a worker thread: under this scheduler (its
    /// awaits resume on worker threads), with no synchronization context and no async locals of the caller (as for
    /// work queued here, which never carries its submitter's context). For a caller that would otherwise hand short
    /// work to a worker thread and wait for it. The work must not throw.</summary>
    public void RunHere(Action<object?> work, object? state)
    {
        // No allocation but the task, made inside the default context (a task captures the context it is made in):
        // the pool and the work travel in thread statics, which no execution context carries.
        var outer = _runningHere;
        var wasWorker = WorkerThreads.MarkWhile(); // user code runs here: sends must not wait on this thread
        _runningHere = this;
        _hereWork = work;
        _hereState = state;
        try
        {
            ExecutionContext.Run(DefaultContext, static _ =>
            {
                // Nor the caller's synchronization context (a UI thread's, say): awaits inside would post back to a
                // thread that is blocked waiting for this work. Run restores it on the way out.
                SynchronizationContext.SetSynchronizationContext(null);
                var task = new Task(_hereWork!, _hereState, CancellationToken.None, TaskCreationOptions.DenyChildAttach);
                _hereWork = null;
                _hereState = null;
                task.RunSynchronously(_runningHere!);
            }, null);
        }
        finally
        {
            _runningHere = outer;
            WorkerThreads.Restore(wasWorker);
            _hereWork = null;
            _hereState = null;
        }
    }

    /// <summary>Posts <paramref name="work"/> (as <see cref="Post"/>) without waking a worker thread yet: the caller, a
    /// driver, expects to run it itself soon (<see cref="RunHere"/>) and claims it through the item's own claim. It is
    /// queued ahead of anything queued after it, when a waiter will not run it (<see cref="QueueDeferredNow"/>), or by a
    /// timer once it waited a whole tick (1–8 ms, <see cref="DeferredPost"/>). The work must tolerate running after it was claimed.</summary>
    public void PostDeferred(Action<object?> work, object? state) => _deferred.Post(work, state);

    /// <summary>Drops the deferred item if it is <paramref name="state"/>'s (for tests; a claimant calls
    /// <see cref="ClaimedHere"/>, which also counts out an item already queued).</summary>
    internal void ForgetDeferred(object state) => _deferred.Forget(state);

    /// <summary>Called by a caller that claimed the work of the item it posted here with <paramref name="state"/>
    /// (<see cref="Post"/> or <see cref="PostDeferred"/>) and runs that work itself (<see cref="RunHere"/>). A deferred
    /// item is dropped. A queued one stays queued, and the worker thread that dequeues it must find its work claimed and
    /// call <see cref="FoundNothing"/>; it no longer counts as an item waiting for a thread, so no thread is started for
    /// it. Call it once per successful claim, and only for an item of this pool.</summary>
    public void ClaimedHere(object state)
    {
        if (!_deferred.Forget(state))
        {
            Interlocked.Increment(ref _spare); // counted out as if taken; FoundNothing's thread does not count back in
        }
    }

    /// <summary>Queues this pool's deferred item now, if any: its caller will not run it (a second call came in behind, a
    /// waiter that does not run it: <see cref="Ownership.IPendingWork.Hurry"/>).</summary>
    public void QueueDeferredNow() => _deferred.QueueNow();

    /// <summary>True when the calling code is a driver's own: not a worker thread (nor work run here in its place), not
    /// inside a task, not a grain turn or other non-default task scheduler. Only such code spins for a result, runs its
    /// lone task itself (<see cref="RunHere"/>), or has work held for it (<see cref="PostDeferred"/>).</summary>
    public static bool IsDriverCode => !IsWorkerThread && !TaskContext.IsSet && TaskScheduler.Current == TaskScheduler.Default;

    /// <summary>True while an item is deferred (for tests).</summary>
    internal bool HasDeferred => _deferred.HasItem;

    /// <summary>The deferred-item timer's current tick (for tests).</summary>
    internal TimeSpan DeferredTickPeriod => _deferred.TickPeriod;

    /// <summary>Called by an item that found its work claimed already (a driver ran it here, <see cref="RunHere"/>): the
    /// worker thread then sleeps at once rather than spin for more. Its caller runs its work itself, so more work soon is
    /// not likely, and a spin would only take a core from that caller (on a busy machine, the core it runs on). The
    /// caller's claim counted the item out already (<see cref="ClaimedHere"/>), so the thread does not count itself
    /// back in for it.</summary>
    public static void FoundNothing()
    {
        if (_current is not null)
        {
            _foundNothing = true;
        }
    }

    private static ExecutionContext CaptureDefaultContext()
    {
        ExecutionContext? captured = null;
        var thread = new Thread(() => captured = ExecutionContext.Capture());
        thread.UnsafeStart(); // without this thread's context: the new thread starts with none
        thread.Join();
        return captured!;
    }

    protected override void QueueTask(Task task)
    {
        _deferred.QueueNow(); // a deferred item keeps its place ahead of anything queued after it (one read if none)

        if (!_disposed)
        {
            _queue.Enqueue(task);

            // A sleeper counts itself in, then looks once more before it sleeps; the fence keeps the read of the count
            // after the item is in (a store and a later load may otherwise swap), so one of the two sees the other.
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref _sleepers) > 0)
            {
                _wake.Release();
            }

            if (Interlocked.Decrement(ref _spare) < 0)
            {
                StartThread();
            }

            if (_disposed)
            {
                // Disposed meanwhile: the threads may have left already. Whatever is queued goes to the thread pool
                // (an item a thread takes first is simply not here any more).
                while (_queue.TryDequeue(out var left))
                {
                    RunOnThreadPool(left);
                }
            }

            return;
        }

        RunOnThreadPool(task);
    }

    /// <summary>After shutdown, stragglers finish on the thread pool rather than vanish. The task is already scheduled
    /// here, so it runs through this scheduler's TryExecuteTask (Task.Start would throw on a scheduled task).</summary>
    private void RunOnThreadPool(Task task) =>
        ThreadPool.UnsafeQueueUserWorkItem(static state => state.Pool.TryExecuteTask(state.Task), (Pool: this, Task: task), preferLocal: false);

    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) =>
        (_current == this || _runningHere == this) && !taskWasPreviouslyQueued && TryExecuteTask(task);

    protected override IEnumerable<Task> GetScheduledTasks() => _queue.ToArray();

    /// <summary>The next item for this worker thread; false when there is none (look again, or leave when the pool is
    /// disposed) or, with <paramref name="retire"/> set, when the thread has left the pool's count and must end.</summary>
    private bool TryTake(out Task task, out bool retire)
    {
        retire = false;
        if (_queue.TryDequeue(out task!))
        {
            _foundNothing = false;
            return true;
        }

        var spin = !_foundNothing;
        _foundNothing = false;
        if (spin && Interlocked.CompareExchange(ref _spinning, 1, 0) == 0)
        {
            try
            {
                var until = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTicks;
                var spinner = new SpinWait();
                while (System.Diagnostics.Stopwatch.GetTimestamp() < until)
                {
                    if (_queue.TryDequeue(out task!))
                    {
                        return true;
                    }

                    spinner.SpinOnce(sleep1Threshold: -1);
                }
            }
            finally
            {
                Volatile.Write(ref _spinning, 0);
            }
        }

        // Count in as a sleeper, then look once more: an item queued before the count was seen finds us here, one
        // queued after it releases the semaphore.
        Interlocked.Increment(ref _sleepers);
        try
        {
            if (_queue.TryDequeue(out task!))
            {
                return true;
            }

            if (_disposed)
            {
                return false;
            }

            if (!_wake.Wait(_idleTimeoutMilliseconds) && TryRetire())
            {
                retire = true;
                task = null!;
                return false;
            }

            return _queue.TryDequeue(out task!);
        }
        finally
        {
            Interlocked.Decrement(ref _sleepers);
        }
    }

    /// <summary>For a thread that waited the idle timeout for work: counts it out of the threads and the spare ones
    /// when the pool has more than its minimum and no queued item counts on it. True when it must end.</summary>
    private bool TryRetire()
    {
        if (_disposed)
        {
            return false;
        }

        if (Interlocked.Decrement(ref _spare) < 0)
        {
            // An item was queued meanwhile and counts on this thread (one queued after the decrement starts a thread).
            Interlocked.Increment(ref _spare);
            return false;
        }

        var threads = Volatile.Read(ref _threads);
        if (threads <= _minThreads || Interlocked.CompareExchange(ref _threads, threads - 1, threads) != threads)
        {
            Interlocked.Increment(ref _spare); // at the floor, or the count moved meanwhile: wait another round
            return false;
        }

        return true;
    }

    private void StartThread()
    {
        // Counted without overshooting the maximum even for a moment: a retiring thread reads the count.
        int n;
        do
        {
            n = Volatile.Read(ref _threads);
            if (n >= _maxThreads)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _threads, n + 1, n) != n);

        Interlocked.Increment(ref _spare); // spare from now on: items queued before it runs see it
        try
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = $"{_name}-{n + 1}" };
            // Without the starter's execution context: a thread added while a task blocks would otherwise keep that
            // task's context (its job's code scope, its task) for its whole life, and with it the job's load context.
            thread.UnsafeStart();
        }
        catch
        {
            // No thread (the process is out of threads or memory): it must not count as one that will take an item.
            Interlocked.Decrement(ref _spare);
            Interlocked.Decrement(ref _threads);
            throw;
        }
    }

    private void Loop()
    {
        _current = this;
        WorkerThreads.MarkCurrent();
        var retired = false;
        try
        {
            while (true)
            {
                if (!TryTake(out var task, out retired))
                {
                    if (retired || (_disposed && _queue.IsEmpty))
                    {
                        break;
                    }

                    continue;
                }

                TryExecuteTask(task);
                if (!_foundNothing)
                {
                    Interlocked.Increment(ref _spare); // free again; an item claimed by its caller was counted out then
                }
            }
        }
        finally
        {
            if (!retired)
            {
                Interlocked.Decrement(ref _threads); // a retired thread counted itself out already
            }
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _deferred.Dispose();
        // Wake every sleeping thread: each drains what is left and leaves.
        _wake.Release(Math.Max(1, Volatile.Read(ref _threads)));
    }
}
