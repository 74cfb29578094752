namespace OrleansRay.Scheduling;

/// <summary>Decides whether a task this node owns runs on another node (Ray's spillback). The engine asks it for every
/// task it owns that becomes ready, never for a task it runs for another owner (that owner already chose).</summary>
/// <remarks>Called outside the engine's lock, on the thread that made the task ready (a submitter, or the thread that
/// completed its last argument).</remarks>
internal interface ITaskPlacer
{
    /// <summary>True when the task was taken off this node: sent elsewhere, parked until a node fits it, or failed as
    /// unplaceable. False: it runs here.</summary>
    bool TryPlaceElsewhere(TaskSpec spec);
}
