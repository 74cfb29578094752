namespace OrleansRay.Execution;

/// <summary>Marks a thread as inside a driver's own submit (a task's, an actor call's): work queued there may be held
/// for the driver's get to run (<see cref="WorkerPool.PostDeferred"/>) instead of waking a worker thread; a grant made
/// as some other work finished, on whatever thread that was, never is.</summary>
internal static class DriverSubmit
{
    [ThreadStatic]
    private static bool _active;

    /// <summary>True on a thread inside a driver's own submit (<see cref="Begin"/>).</summary>
    public static bool IsActive => _active;

    /// <summary>Marks the calling thread as inside a driver's submit (<see cref="IsActive"/>) until the returned scope
    /// is disposed, which restores the mark it had. A default scope marks nothing.</summary>
    public static Scope Begin()
    {
        var scope = new Scope(_active);
        _active = true;
        return scope;
    }

    /// <summary>A driver's submit on this thread (<see cref="Begin"/>).</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly bool _marks;
        private readonly bool _was;

        internal Scope(bool was)
        {
            _marks = true;
            _was = was;
        }

        public void Dispose()
        {
            if (_marks)
            {
                _active = _was;
            }
        }
    }
}
