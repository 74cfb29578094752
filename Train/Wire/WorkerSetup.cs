using OrleansRay.Train.Collective;

namespace OrleansRay.Train.Wire;

/// <summary>What a worker learns before its loop runs: its place in the group, its peers, the coordinator, where
/// checkpoints go and where its dataset shards are.</summary>
[GenerateSerializer, Alias("orleansray.train.WorkerSetup")]
internal sealed record WorkerSetup
{
    [Id(0)] public required string GroupId { get; init; }
    [Id(1)] public required int WorldRank { get; init; }
    [Id(2)] public required int WorldSize { get; init; }
    [Id(3)] public required int LocalRank { get; init; }
    [Id(4)] public required int LocalWorldSize { get; init; }
    [Id(5)] public required int NodeRank { get; init; }
    [Id(6)] public required ActorHandle<TrainContext>[] Workers { get; init; }
    [Id(7)] public required ActorHandle<TrainCoordinator> Coordinator { get; init; }
    [Id(8)] public required string RunName { get; init; }
    [Id(9)] public required string RunPath { get; init; }
    [Id(10)] public required int FirstIteration { get; init; }
    [Id(11)] public string? Checkpoint { get; init; }
    [Id(12)] public required Dictionary<string, ObjectRef> Datasets { get; init; }
    [Id(13)] public required int Attempt { get; init; }
}
