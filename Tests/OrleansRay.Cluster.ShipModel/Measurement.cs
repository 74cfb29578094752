using Orleans;
using OrleansRay;

namespace ShipModel;

/// <summary>A user record that crosses the cluster as argument and result: only the job's code knows its type.</summary>
[GenerateSerializer]
public sealed record Measurement
{
    [Id(0)] public string Name { get; init; } = string.Empty;

    [Id(1)] public double[] Values { get; init; } = [];

    /// <summary>A ref nested inside the record (resolved by the task that reads it).</summary>
    [Id(2)] public ObjectRef<int>? Extra { get; init; }
}
