namespace OrleansRay.Train.Wire;

/// <summary>What the driver reads from the coordinator while an attempt runs: reports completed since it last asked, and
/// the report a part of the group waits in (to tell a loop that stopped reporting early).</summary>
[GenerateSerializer, Immutable, Alias("orleansray.train.CoordinatorState")]
internal sealed record CoordinatorState(
    [property: Id(0)] ReportRecord[] Reports,
    [property: Id(1)] int WaitingIteration,
    [property: Id(2)] int[] WaitingRanks);
