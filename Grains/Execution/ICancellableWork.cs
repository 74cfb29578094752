namespace OrleansRay.Execution;

/// <summary>A running task as the code inside it sees it: its id, which attempt this is, and its cancellation (a task:
/// Ray's <c>ray.cancel</c>).</summary>
internal interface ICancellableWork
{
    /// <summary>Cancelled when the work is cancelled; <see cref="CancellationToken.None"/> when it cannot be.</summary>
    CancellationToken CancellationToken { get; }

    /// <summary>The task's id (the same for every attempt, as <c>list tasks</c> shows it).</summary>
    TaskId TaskId { get; }

    /// <summary>Which attempt of the task runs: 0 for the first, 1 for the first retry (the <c>attempt</c> column of
    /// <c>list tasks</c>).</summary>
    int AttemptNumber { get; }

    /// <summary>The resources the task holds while it runs (its shape; bundle resources under their group names).</summary>
    ResourceSet Resources { get; }

    /// <summary>The GPU instances the task's lease holds now (Ray's <c>get_gpu_ids</c>); empty when it holds none.</summary>
    IReadOnlyList<int> GpuIds { get; }

    /// <summary>The placement group the task runs in (Ray's current placement group); null when none.</summary>
    Grains.PlacementGroupMembership? Group { get; }
}
