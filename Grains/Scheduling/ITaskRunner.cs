namespace OrleansRay.Scheduling;

/// <summary>Runs one task under a lease: resolves its arguments, invokes its function, and finishes it (its result,
/// its retry, the engine's finished/failed counts).</summary>
/// <remarks>Called on a worker thread by the lease loop, one task at a time per lease; the lease's resources stay held
/// until the returned task completes. A synchronous function should complete inline.</remarks>
internal interface ITaskRunner
{
    /// <summary>The node runtime the tasks run in (what <see cref="Execution.TaskContext.Host"/> gives their code); null
    /// for a runner tested alone.</summary>
    object? Host => null;

    /// <summary>Runs <paramref name="spec"/> under <paramref name="lease"/>.</summary>
    ValueTask RunAsync(TaskSpec spec, Lease lease);

    /// <summary>Finishes <paramref name="spec"/>, which will not run (its placement group was removed, or its job ended), with
    /// <paramref name="error"/>: its returns fail, or the owner of a task run for another owner hears of it. This default
    /// fails the returns, which is all a runner of owned tasks only has to do.</summary>
    void Refuse(TaskSpec spec, RayError error)
    {
        spec.State = TaskState.Done;
        spec.CompleteReturns(null, error);
    }

    /// <summary>Lists <paramref name="spec"/>, just cancelled with <paramref name="error"/> before it finished, as failed
    /// in the finished-task log now (Ray lists a cancelled task FAILED at once), unless it runs on another node (that
    /// node lists it). This default, for a runner tested alone, keeps no log.</summary>
    void RecordCancelled(TaskSpec spec, RayError error)
    {
    }
}
