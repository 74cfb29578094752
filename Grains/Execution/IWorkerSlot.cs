namespace OrleansRay.Execution;

/// <summary>The resources a running task holds (its scheduler lease), handed back while the task blocks on objects and
/// taken again before it continues, as Ray releases a task's CPU while it waits in <c>ray.get</c> so nested tasks
/// cannot deadlock a full node. Implemented by the Scheduling layer's lease.</summary>
internal interface IWorkerSlot
{
    /// <summary>Hands the slot's CPUs back to the scheduler while task <paramref name="work"/> waits (once for all the
    /// task's waits at a time); false when the slot runs another task now (the wait's task returned without waiting for
    /// it) or ended: such a wait moves nothing.</summary>
    bool ReleaseWhileBlocked(ICancellableWork? work);

    /// <summary>Ends a wait that <see cref="ReleaseWhileBlocked"/> counted; the CPUs are taken again (without waiting for
    /// them) when it was the task's last open wait.</summary>
    void ReacquireAfterBlocked(ICancellableWork? work);
}
