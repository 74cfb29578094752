namespace OrleansRay;

/// <summary>Pending work of one resource shape.</summary>
/// <param name="Shape">The resources each asks for.</param>
/// <param name="Count">How many are waiting.</param>
/// <param name="IsInfeasible">True when no node has that much of some resource: it waits until such a node joins.</param>
/// <param name="IsActor">True for actors waiting to be placed, false for tasks.</param>
public sealed record ResourceDemand(IReadOnlyDictionary<string, double> Shape, int Count, bool IsInfeasible, bool IsActor)
{
    /// <summary>The shape in Ray's notation, then how many of what wait, and whether no node could run them:
    /// <c>{"CPU": 1.0, "GPU": 0.5} ×3 tasks</c>, <c>{"accel": 8.0} ×1 actor, infeasible</c>.</summary>
    public override string ToString() =>
        $"{ResourceSet.Describe(Shape ?? new Dictionary<string, double>())} ×{Count} {(IsActor ? "actor" : "task")}{(Count == 1 ? string.Empty : "s")}{(IsInfeasible ? ", infeasible" : string.Empty)}";
}
