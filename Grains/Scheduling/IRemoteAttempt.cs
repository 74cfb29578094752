namespace OrleansRay.Scheduling;

/// <summary>The node running a task's current attempt for its owner, when that is not this node: what a cancel reaches.</summary>
internal interface IRemoteAttempt
{
    /// <summary>Asks that node to cancel the task (best effort: the owner has already failed it), with
    /// <paramref name="recursive"/> the tasks it submitted there too.</summary>
    void Cancel(TaskId taskId, bool force, bool recursive);
}
