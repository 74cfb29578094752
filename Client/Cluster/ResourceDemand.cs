namespace OrleansRay;

/// <summary>Pending work of one resource shape.</summary>
/// <param name="Shape">The resources each asks for.</param>
/// <param name="Count">How many are waiting.</param>
/// <param name="IsInfeasible">True when no node has that much of some resource: it waits until such a node joins.</param>
/// <param name="IsActor">True for actors waiting to be placed, false for tasks.</param>
public sealed record ResourceDemand(IReadOnlyDictionary<string, double> Shape, int Count, bool IsInfeasible, bool IsActor);
