namespace OrleansRay.Scheduling;

/// <summary>Where a task is on its owner's node (or, for a task run for another owner, on the node running it).</summary>
internal enum TaskState
{
    /// <summary>Waiting for its object arguments, for a placement, or for a retry.</summary>
    Waiting,

    /// <summary>In this node's ready queue of its shape, waiting for resources.</summary>
    Queued,

    /// <summary>Running under a lease here, or sent to another node.</summary>
    Running,

    /// <summary>Finished: its result is set.</summary>
    Done,
}
