namespace OrleansRay.Scheduling;

/// <summary>Where the outcome of a task this node ran for another owner goes (the Node layer sends it to that owner's
/// endpoint; Ray's worker replying to the owner's <c>PushTask</c>).</summary>
internal interface IForeignTaskResults
{
    /// <summary>The foreign task <paramref name="spec"/> finished with <paramref name="value"/> or
    /// <paramref name="error"/> after <paramref name="durationTicks"/> (<see cref="TimeSpan"/> ticks, 0 when it never
    /// started).</summary>
    void Completed(TaskSpec spec, object? value, RayError? error, long durationTicks);
}
