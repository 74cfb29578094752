using System.Collections.Concurrent;

namespace OrleansRay.Runtime;

/// <summary>The node's worker threads: user functions and actor methods run here, never on the grain scheduler or the
/// .NET thread pool, so user code that blocks (Thread.Sleep, sync I/O) cannot starve Orleans.</summary>
/// <remarks>
/// A <see cref="TaskScheduler"/>, so <c>await</c> inside user code resumes on these threads too. It starts with
/// <c>minThreads</c> threads and adds one whenever work is queued while no thread is idle (a blocked function then
/// costs one extra thread, not a stall), up to <c>maxThreads</c>. The scheduler engine bounds how much work is admitted,
/// so the thread count follows the node's CPU slots plus blocked or zero-CPU work.
/// </remarks>
internal sealed class WorkerPool : TaskScheduler, IDisposable
{
    private readonly BlockingCollection<Task> _queue = new(new ConcurrentQueue<Task>());
    private readonly int _maxThreads;
    private readonly string _name;
    private int _threads;
    private int _idle;
    private volatile bool _disposed;

    [ThreadStatic]
    private static WorkerPool? _current;

    public WorkerPool(string name, int minThreads, int maxThreads)
    {
        _name = name;
        _maxThreads = Math.Max(1, maxThreads);
        for (var i = 0; i < Math.Max(1, minThreads); i++)
        {
            StartThread();
        }
    }

    public int ThreadCount => Volatile.Read(ref _threads);

    /// <summary>True on a thread of any worker pool (where user code runs and may block).</summary>
    public static bool IsWorkerThread => _current is not null;

    public override int MaximumConcurrencyLevel => _maxThreads;

    /// <summary>Runs <paramref name="work"/> on a worker thread.</summary>
    public Task Run(Func<Task> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.DenyChildAttach, this).Unwrap();

    protected override void QueueTask(Task task)
    {
        if (_disposed)
        {
            // After shutdown, let stragglers finish on the thread pool rather than vanish.
            ThreadPool.UnsafeQueueUserWorkItem(static t => ((Task)t!).Start(TaskScheduler.Default), task);
            return;
        }

        _queue.Add(task);
        if (Volatile.Read(ref _idle) == 0 && Volatile.Read(ref _threads) < _maxThreads)
        {
            StartThread();
        }
    }

    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) =>
        _current == this && !taskWasPreviouslyQueued && TryExecuteTask(task);

    protected override IEnumerable<Task> GetScheduledTasks() => _queue.ToArray();

    private void StartThread()
    {
        var n = Interlocked.Increment(ref _threads);
        if (n > _maxThreads)
        {
            Interlocked.Decrement(ref _threads);
            return;
        }

        var thread = new Thread(Loop) { IsBackground = true, Name = $"{_name}-{n}" };
        thread.Start();
    }

    private void Loop()
    {
        _current = this;
        try
        {
            while (!_queue.IsCompleted)
            {
                Interlocked.Increment(ref _idle);
                Task? task;
                try
                {
                    if (!_queue.TryTake(out task, Timeout.Infinite))
                    {
                        continue;
                    }
                }
                catch (InvalidOperationException)
                {
                    break; // completed for adding and empty
                }
                finally
                {
                    Interlocked.Decrement(ref _idle);
                }

                TryExecuteTask(task);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _threads);
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _queue.CompleteAdding();
    }
}
