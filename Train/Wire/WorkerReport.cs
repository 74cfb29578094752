namespace OrleansRay.Train.Wire;

/// <summary>One worker's <see cref="TrainContext.ReportAsync"/>: its metrics of a report and, when it gave a checkpoint,
/// where it persisted it.</summary>
[GenerateSerializer, Immutable, Alias("orleansray.train.WorkerReport")]
internal sealed record WorkerReport(
    [property: Id(0)] int Rank,
    [property: Id(1)] int Iteration,
    [property: Id(2)] Dictionary<string, double> Metrics,
    [property: Id(3)] string? Checkpoint);
