namespace OrleansRay;

/// <summary>Pending work of one resource shape on one node, as reported to <c>status</c>.</summary>
[GenerateSerializer, Immutable, Alias("orleansray.demand")]
public sealed record ResourceDemandInfo(
    [property: Id(0)] ResourceSet Shape,
    [property: Id(1)] int Count,
    [property: Id(2)] bool IsInfeasible,
    [property: Id(3)] bool IsActor);
