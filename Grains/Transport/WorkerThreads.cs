namespace OrleansRay.Transport;

/// <summary>Marks the threads user code runs on (the worker pool's), so code below the Execution layer can tell when
/// it must not block or issue grain calls on the current thread.</summary>
internal static class WorkerThreads
{
    [ThreadStatic]
    private static bool _isWorker;

    /// <summary>True on a thread of any worker pool (where user code runs and may block).</summary>
    public static bool IsCurrent => _isWorker;

    /// <summary>Marks the current thread as a worker thread, for its lifetime.</summary>
    public static void MarkCurrent() => _isWorker = true;

    /// <summary>Marks the current thread as running user code for a while (a driver's thread running a worker's work
    /// in its place, <c>WorkerPool.RunHere</c>); returns what it was, for <see cref="Restore"/>.</summary>
    public static bool MarkWhile()
    {
        var was = _isWorker;
        _isWorker = true;
        return was;
    }

    /// <summary>Puts back what <see cref="MarkWhile"/> returned.</summary>
    public static void Restore(bool was) => _isWorker = was;
}
