namespace OrleansRay.Scheduling;

/// <summary>Where the outcome of a task this node ran for another owner goes (the Node layer sends it to that owner's
/// endpoint; Ray's worker replying to the owner's <c>PushTask</c>).</summary>
internal interface IForeignTaskResults
{
    /// <summary>The foreign task <paramref name="spec"/> finished with <paramref name="value"/> or
    /// <paramref name="error"/> after <paramref name="durationTicks"/> (<see cref="TimeSpan"/> ticks, 0 when it never
    /// started).</summary>
    void Completed(TaskSpec spec, object? value, RayError? error, long durationTicks);

    /// <summary>The queued foreign task <paramref name="spec"/> was taken off this node's queue because
    /// <paramref name="suggested"/> has room: tell its owner, which re-places it (Ray's spillback reply to a lease
    /// request). When the owner cannot be reached or answers "keep", the task goes back into this node's queue.</summary>
    void SpilledBack(TaskSpec spec, NodeId suggested);
}
