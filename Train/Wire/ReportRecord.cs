namespace OrleansRay.Train.Wire;

/// <summary>A completed report of the whole group: rank 0's metrics and the persisted checkpoint, if any rank gave one.</summary>
[GenerateSerializer, Immutable, Alias("orleansray.train.ReportRecord")]
internal sealed record ReportRecord(
    [property: Id(0)] int Iteration,
    [property: Id(1)] Dictionary<string, double> Metrics,
    [property: Id(2)] string? Checkpoint);
