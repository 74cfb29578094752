namespace OrleansRay.Execution;

/// <summary>The resources a running task holds (its scheduler lease), handed back while the task blocks on objects and
/// taken again before it continues, as Ray releases a task's CPU while it waits in <c>ray.get</c> so nested tasks
/// cannot deadlock a full node. Implemented by the Scheduling layer's lease.</summary>
internal interface IWorkerSlot
{
    /// <summary>Hands the slot's resources back to the scheduler while the task waits.</summary>
    void ReleaseWhileBlocked();

    /// <summary>Takes the resources again (may wait for them) before the task continues.</summary>
    void ReacquireAfterBlocked();
}
