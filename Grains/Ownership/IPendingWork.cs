namespace OrleansRay.Ownership;

/// <summary>Work that produces an object and can be cancelled while queued or running.</summary>
internal interface IPendingWork
{
    /// <summary>Cancels the work; with <paramref name="force"/> a running attempt is abandoned and its resources freed.
    /// With <paramref name="recursive"/> (Ray's default) a task's children are cancelled too: the tasks its code
    /// submitted that have not finished, and theirs.</summary>
    void Cancel(bool force, bool recursive);

    /// <summary>Whether this is the only work of its kind in flight and runs on this node (the only task the node has
    /// queued or running; the caller's only unanswered call to an actor on this node): a reader waiting for it may
    /// spin briefly rather than await.</summary>
    bool IsLoneLocal { get; }

    /// <summary>Runs the work on the calling thread if it is queued on this node, has not started, and its function's
    /// last run was short and did not await (a driver's get of the only task in flight: no hand-off to a worker thread
    /// and back, which behind busy cores waits for the scheduler's time slices twice; the get blocks its caller no
    /// longer than its spin would). True when it ran here (or started here and went async, continuing on a worker
    /// thread); false otherwise.</summary>
    bool TryRunHere() => false;

    /// <summary>Lets the work go to a worker thread now if its node holds it for its driver to run
    /// (<see cref="Execution.WorkerPool.PostDeferred"/>): called by a waiter that will not run it itself (a get with a
    /// timeout, a wait for several refs, a task or an actor call waiting for it as an argument, a generator's consumer).</summary>
    void Hurry()
    {
    }
}
