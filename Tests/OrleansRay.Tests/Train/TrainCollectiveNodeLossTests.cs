using OrleansRay.Tests.Fixtures;
using OrleansRay.Train;
using Xunit;

namespace OrleansRay.Tests.Training;

/// <summary>A worker's node leaves while the loops are inside an allreduce (three in-process nodes of 1 CPU, two
/// workers on two of them, a driver connected through the first): the survivor's collective fails because its peer is
/// gone, but the run must blame the rank whose own worker died, never the survivor. The coordinator is on the driver's
/// node, so losing a worker's node does not take it along.</summary>
public sealed class TrainCollectiveNodeLossTests : IAsyncLifetime
{
    private InProcessCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await InProcessCluster.StartAsync((1, null), (1, null), (1, null));

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_node_lost_inside_an_allreduce_fails_the_run_naming_the_rank_of_that_node()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        using var storage = new TempStorage();
        var gate = $"allreduce-loss-{Guid.NewGuid():N}";
        var started = new TaskCompletionSource<IReadOnlyList<string>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var progress = new Progress<TrainProgress>(p =>
        {
            if (p.Kind == TrainProgressKind.WorkersStarted && p.Attempt == 0)
            {
                started.TrySetResult(p.WorkerNodes!);
            }
        });
        var trainer = new DataParallelTrainer<string>(
            TrainLoops.AllReduceUntilReleased,
            gate,
            new ScalingConfig { NumWorkers = 2, PlacementStrategy = PlacementStrategy.StrictSpread },
            new RunConfig { StoragePath = storage.Path, Name = "allreduce-loss", FailureConfig = new FailureConfig { MaxFailures = 0 }, Progress = progress });

        var fit = trainer.FitAsync(ray);
        try
        {
            var nodes = await started.Task.WaitAsync(TimeSpan.FromSeconds(60));
            await Eventually.TrueAsync(() => TrainLoops.AllReductionsOf(gate) >= 20, TimeSpan.FromSeconds(60), "the loops allreduce");
            var gateway = _cluster.Nodes[0].NodeId.Value;
            var coordinators = (await ray.State.ListActorsAsync(StateListOptions.Where("state=ALIVE") with { Limit = 10_000 })).Rows
                .Where(a => a.ClassName.Contains("TrainCoordinator", StringComparison.Ordinal)).ToList();
            Assert.Equal(gateway, Assert.Single(coordinators).Node); // the coordinator sits on the driver's node, not a worker's
            var killedRank = nodes[0] != gateway ? 0 : 1;
            Assert.NotEqual(gateway, nodes[killedRank]);
            await _cluster.StopNodeAsync(_cluster.Nodes.Single(n => n.NodeId.Value == nodes[killedRank]));

            var failed = await Assert.ThrowsAsync<TrainingFailedException>(() => fit.WaitAsync(TimeSpan.FromSeconds(120)));

            Assert.Equal(killedRank, failed.Rank);
            Assert.Contains($"the worker of rank {killedRank} (node {nodes[killedRank]}) died", failed.Message);
            // The runtime's advice on MaxTaskRetries / MaxRestarts is not for Train's users (Train owns its workers).
            Assert.DoesNotContain("MaxTaskRetries", failed.Message, StringComparison.Ordinal);
            Assert.IsType<ActorDiedException>(failed.InnerException);
        }
        finally
        {
            TrainLoops.Gate(gate).TrySetResult(); // a loop still running (a failed check) ends, and so does the run
        }
    }
}
