using OrleansRay.Tests.Fixtures;
using OrleansRay.Train;
using Xunit;

namespace OrleansRay.Tests.Training;

/// <summary>A worker's node leaves mid-run (three in-process nodes of 1 CPU, two workers spread over two of them, a
/// driver connected through the first): the attempt ends; with MaxFailures = 1 the group restarts from the latest
/// checkpoint on the nodes left and finishes, with MaxFailures = 0 the run fails naming the rank. (kill -9 of a CLI
/// node is t-cluster's test in OrleansRay.Cluster.Tests.)</summary>
public sealed class TrainNodeLossTests : IAsyncLifetime
{
    private InProcessCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await InProcessCluster.StartAsync((1, null), (1, null), (1, null));

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_worker_lost_with_its_node_restarts_the_group_from_the_latest_checkpoint()
    {
        var (result, _, killedRank, events) = await RunAndLoseANodeAsync(maxFailures: 1);

        var finished = Assert.IsType<TrainResult>(result);
        Assert.Equal(2, finished.Attempts);
        Assert.Equal(new[] { 1.0, 2.0, 3.0, 4.0 }, finished.MetricsHistory.Select(m => m["epoch"]));
        Assert.Equal(new[] { 0.0, 0.0, 2.0, 2.0 }, finished.MetricsHistory.Select(m => m["resumed_from"]));
        Assert.All(finished.MetricsHistory, m => Assert.Equal(2, m["workers_seen"]));
        Assert.True(killedRank >= 0);

        // The restart names the attempt that failed as its event does (from 0), and the worker's death, a sentence of
        // its own ("... if its MaxRestarts allows."), does not run into the driver's words as ".;".
        await Eventually.TrueAsync(() => events.Any(e => e.Kind == TrainProgressKind.Restarting), TimeSpan.FromSeconds(30), "the Restarting event arrived");
        var restart = Assert.Single(events, e => e.Kind == TrainProgressKind.Restarting);
        Assert.Equal(0, restart.Attempt);
        Assert.StartsWith($"Attempt 0 failed: the worker of rank {killedRank} ", restart.Message);
        Assert.Contains("died", restart.Message);
        Assert.Contains("; restarting the worker group as attempt 1 from ", restart.Message);
        Assert.DoesNotContain(".;", restart.Message);
    }

    [Fact]
    public async Task Without_restarts_left_a_lost_worker_fails_the_run_naming_its_rank()
    {
        var (_, error, killedRank, _) = await RunAndLoseANodeAsync(maxFailures: 0);

        var failed = Assert.IsType<TrainingFailedException>(error);
        Assert.Equal(killedRank, failed.Rank);
        Assert.Contains($"rank {killedRank}", failed.Message);
        Assert.Contains("died", failed.Message);
        Assert.IsType<ActorDiedException>(failed.InnerException);
        Assert.Equal(new[] { 1.0, 2.0 }, failed.Result!.MetricsHistory.Select(m => m["epoch"]));
    }

    [Fact]
    public async Task A_restart_the_live_nodes_cannot_hold_reports_infeasible_and_goes_on_when_a_node_joins()
    {
        // Two nodes of 1 CPU, two workers STRICT_SPREAD: after one node goes, the one left can never hold both bundles.
        await using var cluster = await InProcessCluster.StartAsync((1, null), (1, null));
        await using var ray = await Ray.InitAsync(new RayOptions { Address = cluster.Address, AuthToken = cluster.AuthToken });
        using var storage = new TempStorage();
        var started = new TaskCompletionSource<IReadOnlyList<string>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondReport = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var infeasible = new TaskCompletionSource<TrainProgress>(TaskCreationOptions.RunContinuationsAsynchronously);
        var progress = new Progress<TrainProgress>(p =>
        {
            if (p.Kind == TrainProgressKind.WorkersStarted && p.Attempt == 0)
            {
                started.TrySetResult(p.WorkerNodes!);
            }
            else if (p.Kind == TrainProgressKind.Reported && p.Iteration == 2)
            {
                secondReport.TrySetResult();
            }
            else if (p.Kind == TrainProgressKind.PlacementPending && p.Attempt == 1 && p.IsInfeasible)
            {
                infeasible.TrySetResult(p);
            }
        });
        var trainer = new DataParallelTrainer<EpochsConfig>(
            TrainLoops.Epochs,
            new EpochsConfig(Epochs: 4, FailAtEpoch: 3, Gate: $"node-loss-{Guid.NewGuid():N}"),
            new ScalingConfig { NumWorkers = 2, PlacementStrategy = PlacementStrategy.StrictSpread },
            new RunConfig { StoragePath = storage.Path, Name = "node-loss-infeasible", FailureConfig = new FailureConfig { MaxFailures = 1 }, Progress = progress });

        var fit = trainer.FitAsync(ray);
        var nodes = await started.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await secondReport.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var gateway = cluster.Nodes[0].NodeId.Value;
        await cluster.StopNodeAsync(cluster.Nodes.Single(n => n.NodeId.Value == nodes.First(node => node != gateway)));

        // A reviewer's restart said "not infeasible" here while the node's log said the live nodes could never hold it.
        var pending = await infeasible.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Contains("have {CPU: 1}", pending.Message, StringComparison.Ordinal);
        Assert.Contains("infeasible until nodes with more resources join", pending.Message, StringComparison.Ordinal);

        await cluster.AddNodeAsync(1);
        var result = await fit.WaitAsync(TimeSpan.FromSeconds(120));
        Assert.Equal(2, result.Attempts);
        Assert.Equal(new[] { 1.0, 2.0, 3.0, 4.0 }, result.MetricsHistory.Select(m => m["epoch"]));
    }

    /// <summary>Runs 4 epochs on 2 workers; in attempt 0 the loops wait at a gate before epoch 3, and the node of a worker
    /// that is not the driver's gateway node stops there.</summary>
    private async Task<(TrainResult? Result, Exception? Error, int KilledRank, IReadOnlyCollection<TrainProgress> Events)> RunAndLoseANodeAsync(int maxFailures)
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        using var storage = new TempStorage();
        var started = new TaskCompletionSource<IReadOnlyList<string>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondReport = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var events = new System.Collections.Concurrent.ConcurrentQueue<TrainProgress>();
        var progress = new Progress<TrainProgress>(p =>
        {
            events.Enqueue(p);
            if (p.Kind == TrainProgressKind.WorkersStarted && p.Attempt == 0)
            {
                started.TrySetResult(p.WorkerNodes!);
            }
            else if (p.Kind == TrainProgressKind.Reported && p.Iteration == 2)
            {
                secondReport.TrySetResult();
            }
        });
        var trainer = new DataParallelTrainer<EpochsConfig>(
            TrainLoops.Epochs,
            new EpochsConfig(Epochs: 4, FailAtEpoch: 3, Gate: $"node-loss-{Guid.NewGuid():N}"),
            new ScalingConfig { NumWorkers = 2, PlacementStrategy = PlacementStrategy.StrictSpread },
            new RunConfig { StoragePath = storage.Path, Name = "node-loss", FailureConfig = new FailureConfig { MaxFailures = maxFailures }, Progress = progress });

        var fit = trainer.FitAsync(ray);
        var nodes = await started.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await secondReport.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var gateway = _cluster.Nodes[0].NodeId.Value;
        var killedRank = nodes[0] != gateway ? 0 : 1;
        Assert.NotEqual(gateway, nodes[killedRank]);
        await _cluster.StopNodeAsync(_cluster.Nodes.Single(n => n.NodeId.Value == nodes[killedRank]));

        try
        {
            return (await fit.WaitAsync(TimeSpan.FromSeconds(120)), null, killedRank, events);
        }
        catch (TrainingFailedException ex)
        {
            return (null, ex, killedRank, events);
        }
    }
}
