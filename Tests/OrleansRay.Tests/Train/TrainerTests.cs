using OrleansRay.Tests.Fixtures;
using OrleansRay.Train;
using Xunit;

namespace OrleansRay.Tests.Training;

/// <summary>DataParallelTrainer on an embedded node (4 CPUs): shards, reports, checkpoints, failures, restarts.</summary>
[Collection(RayCollection.Name)]
public sealed class TrainerTests
{
    private readonly IRay _ray;

    public TrainerTests(RayFixture fixture) => _ray = fixture.Ray;

    private static RunConfig Run(TempStorage storage, int maxFailures = 0, int? numToKeep = null, IProgress<TrainProgress>? progress = null) => new()
    {
        StoragePath = storage.Path,
        Name = "run",
        FailureConfig = new FailureConfig { MaxFailures = maxFailures },
        CheckpointConfig = new CheckpointConfig { NumToKeep = numToKeep },
        Progress = progress,
    };

    [Fact]
    public async Task Each_worker_gets_a_disjoint_shard_and_together_they_hold_every_row()
    {
        using var storage = new TempStorage();
        var trainer = new DataParallelTrainer(TrainLoops.ShardsToCheckpoint, new ScalingConfig { NumWorkers = 3 }, Run(storage),
            new Dictionary<string, TrainDataset> { ["ids"] = TrainDataset.From(Enumerable.Range(0, 100)) });

        var result = await trainer.FitAsync(_ray);

        var shards = Enumerable.Range(0, 3)
            .Select(r => File.ReadAllText(Path.Combine(result.Checkpoint!.Path, $"rank-{r}.txt")).Split(',').Select(int.Parse).ToArray())
            .ToArray();
        Assert.Equal(Enumerable.Range(0, 100), shards.SelectMany(s => s).Order());
        Assert.Equal(34, shards[0].Length);
        Assert.Equal(34, result.Metrics["rows"]);
        Assert.Equal(3, result.Metrics["world_size"]);
    }

    [Fact]
    public async Task Ranks_and_collectives_span_the_group()
    {
        using var storage = new TempStorage();
        var started = new List<TrainProgress>();
        var trainer = new DataParallelTrainer(TrainLoops.Ranks, new ScalingConfig { NumWorkers = 3 }, Run(storage, progress: new SyncProgress(started)));

        var result = await trainer.FitAsync(_ray);

        Assert.Equal(3, result.Metrics["world_size"]);
        Assert.Equal(1 + 2 + 3, result.Metrics["rank_sum"]);
        Assert.Equal(3, result.Metrics["local_world_size"]); // one node: every worker is local
        Assert.Equal(0, result.Metrics["node_rank"]);
        Assert.Equal(1, result.Metrics["broadcast_ok"]);
        var workers = Assert.Single(started, p => p.Kind == TrainProgressKind.WorkersStarted);
        Assert.Equal(3, workers.WorkerNodes!.Count);
        Assert.Contains(started, p => p.Kind == TrainProgressKind.Finished);
    }

    [Fact]
    public async Task Checkpoints_are_persisted_under_the_storage_path_and_only_the_newest_NumToKeep_stay()
    {
        using var storage = new TempStorage();
        var trainer = new DataParallelTrainer<EpochsConfig>(TrainLoops.Epochs, new EpochsConfig(Epochs: 4), new ScalingConfig { NumWorkers = 2 },
            Run(storage, numToKeep: 2));

        var result = await trainer.FitAsync(_ray);

        Assert.Equal(Path.Combine(storage.Path, "run"), result.Path);
        Assert.Equal(new[] { "checkpoint_000003", "checkpoint_000004" }, Directory.GetDirectories(result.Path).Select(Path.GetFileName).Order());
        Assert.Equal(Path.Combine(result.Path, "checkpoint_000004"), result.Checkpoint!.Path);
        Assert.Equal("4", File.ReadAllText(Path.Combine(result.Checkpoint.Path, "epoch.txt")));
        Assert.Equal(new[] { 3.0, 4.0 }, result.BestCheckpoints.Select(c => c.Metrics["epoch"]));
        Assert.Equal(new[] { 1.0, 2.0, 3.0, 4.0 }, result.MetricsHistory.Select(m => m["epoch"]));
        Assert.All(result.MetricsHistory, m => Assert.Equal(0, m["rank"])); // rank 0's metrics are the run's
        Assert.All(result.MetricsHistory, m => Assert.Equal(2, m["workers_seen"]));
    }

    [Fact]
    public async Task An_exception_in_rank_k_fails_the_run_naming_rank_k_with_its_remote_trace()
    {
        using var storage = new TempStorage();
        var trainer = new DataParallelTrainer<EpochsConfig>(TrainLoops.Epochs, new EpochsConfig(Epochs: 3, FailAtEpoch: 2, FailRank: 1),
            new ScalingConfig { NumWorkers = 2 }, Run(storage));

        var error = await Assert.ThrowsAsync<TrainingFailedException>(() => trainer.FitAsync(_ray));

        Assert.Equal(1, error.Rank);
        Assert.Contains("rank 1", error.Message);
        Assert.Contains("boom on rank 1 at epoch 2", error.Message);
        Assert.Contains("InvalidOperationException", error.Message);
        var cause = Assert.IsType<RayTaskException>(error.InnerException);
        Assert.Contains(nameof(TrainLoops.Epochs), error.RemoteStackTrace);
        Assert.Equal(cause.RemoteStackTrace, error.RemoteStackTrace);
        Assert.Equal(1, error.Attempts);
        Assert.Equal(new[] { 1.0 }, error.Result!.MetricsHistory.Select(m => m["epoch"])); // what it did before failing

        // Attempts are numbered from 0 in the message as in TrainContext.Attempt; failures are counted against
        // MaxFailures; the cause's own full stop does not run into the driver's words.
        Assert.StartsWith("Training failed in attempt 0: the train loop of rank 1", error.Message);
        Assert.Contains("(failure 1; FailureConfig.MaxFailures = 0 allows 0 restart(s))", error.Message);
        Assert.Contains("Set RunConfig.FailureConfig.MaxFailures above 0", error.Message);
        Assert.DoesNotContain(". (", error.Message);
        Assert.DoesNotContain("attempt 1", error.Message);
    }

    [Fact]
    public async Task A_failed_attempt_restarts_from_the_latest_checkpoint_while_MaxFailures_allows()
    {
        using var storage = new TempStorage();
        var progress = new List<TrainProgress>();
        var trainer = new DataParallelTrainer<EpochsConfig>(TrainLoops.Epochs, new EpochsConfig(Epochs: 4, FailAtEpoch: 3, FailRank: 0),
            new ScalingConfig { NumWorkers = 2 }, Run(storage, maxFailures: 1, progress: new SyncProgress(progress)));

        var result = await trainer.FitAsync(_ray);

        Assert.Equal(2, result.Attempts);
        Assert.Equal(new[] { 1.0, 2.0, 3.0, 4.0 }, result.MetricsHistory.Select(m => m["epoch"]));
        Assert.Equal(new[] { 0.0, 0.0, 1.0, 1.0 }, result.MetricsHistory.Select(m => m["attempt"]));
        Assert.Equal(new[] { 0.0, 0.0, 2.0, 2.0 }, result.MetricsHistory.Select(m => m["resumed_from"])); // GetCheckpoint() gave epoch 2's
        var restart = Assert.Single(progress, p => p.Kind == TrainProgressKind.Restarting);
        Assert.Contains("rank 0", restart.Message);
        Assert.Contains("checkpoint_000002", restart.Message);

        // One numbering, from 0, in the events' fields, their messages and TrainContext.Attempt (the "attempt" metric
        // above): the restart belongs to attempt 0, which failed, and names attempt 1, which follows.
        Assert.Equal(0, restart.Attempt);
        Assert.StartsWith("Attempt 0 failed: the train loop of rank 0", restart.Message);
        Assert.Contains("restarting the worker group as attempt 1 from ", restart.Message);
        Assert.EndsWith("(failure 1 of at most 1: FailureConfig.MaxFailures = 1).", restart.Message);
        Assert.DoesNotContain(".;", restart.Message);
        Assert.Equal(new[] { 0, 1 }, progress.Where(p => p.Kind == TrainProgressKind.WorkersStarted).Select(p => p.Attempt));
        var finished = Assert.Single(progress, p => p.Kind == TrainProgressKind.Finished);
        Assert.Equal(1, finished.Attempt);
        Assert.StartsWith("Training finished in attempt 1 after 4 report(s)", finished.Message);
    }

    [Fact]
    public async Task A_loop_that_returns_while_its_peers_wait_in_a_report_fails_the_run_with_a_message()
    {
        using var storage = new TempStorage();
        var trainer = new DataParallelTrainer(TrainLoops.UnevenReports, new ScalingConfig { NumWorkers = 2 }, Run(storage));

        var error = await Assert.ThrowsAsync<TrainingFailedException>(() => trainer.FitAsync(_ray));

        Assert.Equal(1, error.Rank);
        Assert.Contains("same number of times", error.Message);
    }

    [Fact]
    public async Task A_loop_that_returns_while_its_peers_wait_in_a_collective_fails_the_run_naming_the_rank_that_left()
    {
        using var storage = new TempStorage();
        var trainer = new DataParallelTrainer(TrainLoops.LeaveEarly, new ScalingConfig { NumWorkers = 2 }, Run(storage));

        // Before the fix the run hung forever (rank 0 waited for rank 1's part of the allreduce): a deadline, not a hang.
        var error = await Assert.ThrowsAsync<TrainingFailedException>(() => trainer.FitAsync(_ray).WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Equal(1, error.Rank);
        Assert.Contains("rank 1 returned from its train loop while rank 0 waited in a collective", error.Message);
    }

    [Fact]
    public async Task A_run_that_cannot_be_placed_reports_the_infeasible_demand_and_ends_when_cancelled()
    {
        using var storage = new TempStorage();
        var pending = new TaskCompletionSource<TrainProgress>(TaskCreationOptions.RunContinuationsAsynchronously);
        var trainer = new DataParallelTrainer(TrainLoops.Ranks, new ScalingConfig { NumWorkers = 5 },
            Run(storage, progress: new Progress<TrainProgress>(p =>
            {
                if (p.Kind == TrainProgressKind.PlacementPending)
                {
                    pending.TrySetResult(p);
                }
            })));
        using var cancel = new CancellationTokenSource();

        var fit = trainer.FitAsync(_ray, cancel.Token);
        var report = await pending.Task.WaitAsync(TimeSpan.FromSeconds(30));
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fit.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(report.IsInfeasible);
        Assert.Contains("{CPU: 5}", report.Message);
        Assert.Contains("{CPU: 4}", report.Message);
        Assert.Contains("infeasible", report.Message);
    }

    [Fact]
    public async Task A_run_of_N_workers_is_N_plus_1_actors_each_worker_holding_its_bundle()
    {
        using var storage = new TempStorage();
        var started = new TaskCompletionSource<TrainProgress>(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = $"count-{Guid.NewGuid():N}";
        var trainer = new DataParallelTrainer<string>(TrainLoops.WaitAtGate, gate, new ScalingConfig { NumWorkers = 3 },
            Run(storage, progress: new Progress<TrainProgress>(p =>
            {
                if (p.Kind == TrainProgressKind.WorkersStarted)
                {
                    started.TrySetResult(p);
                }
            })));

        // Only this run's actors: a previous test's may still be listed ALIVE until their node reports again.
        var before = (await _ray.State.ListActorsAsync(StateListOptions.Where("state=ALIVE") with { Limit = 10_000 })).Rows
            .Select(a => a.ActorId).ToHashSet(StringComparer.Ordinal);
        var fit = trainer.FitAsync(_ray);
        List<ActorStateRow> alive = [];
        IReadOnlyDictionary<string, double> free;
        try
        {
            await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
            // ALIVE rows only, and all of them: the fixture's node has run many actors before (the default limit is 100),
            // and the state API may show an actor ALIVE a moment after its first call returned.
            await Eventually.TrueAsync(
                async () =>
                {
                    alive = (await _ray.State.ListActorsAsync(StateListOptions.Where("state=ALIVE") with { Limit = 10_000 })).Rows
                        .Where(a => !before.Contains(a.ActorId) && (a.ClassName.Contains(nameof(TrainContext), StringComparison.Ordinal) || a.ClassName.Contains("TrainCoordinator", StringComparison.Ordinal)))
                        .ToList();
                    return alive.Count >= 4;
                },
                TimeSpan.FromSeconds(30),
                "the state API to list the run's actors ALIVE");
            free = await _ray.AvailableResourcesAsync();
        }
        finally
        {
            TrainLoops.Gate(gate).TrySetResult(); // a failed check must not leave the run holding the node's CPUs
        }

        await fit.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(4, alive.Count);
        Assert.Equal(3, alive.Count(a => a.ClassName.Contains(nameof(TrainContext), StringComparison.Ordinal)));
        Assert.Equal(1, free["CPU"]); // 4 CPUs, 3 held by the workers' bundles; the coordinator holds none
    }

    [Fact]
    public async Task Cancelling_a_running_fit_kills_its_actors()
    {
        using var storage = new TempStorage();
        var started = new TaskCompletionSource<TrainProgress>(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = $"cancel-{Guid.NewGuid():N}";
        var trainer = new DataParallelTrainer<string>(TrainLoops.WaitAtGate, gate, new ScalingConfig { NumWorkers = 2 },
            Run(storage, progress: new Progress<TrainProgress>(p =>
            {
                if (p.Kind == TrainProgressKind.WorkersStarted)
                {
                    started.TrySetResult(p);
                }
            })));
        using var cancel = new CancellationTokenSource();

        var fit = trainer.FitAsync(_ray, cancel.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await Eventually.TrueAsync(async () => await AliveTrainActorsAsync() == 3, TimeSpan.FromSeconds(30), "the 2 workers and the coordinator listed ALIVE");
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fit.WaitAsync(TimeSpan.FromSeconds(30)));
        await Eventually.TrueAsync(async () => await AliveTrainActorsAsync() == 0, TimeSpan.FromSeconds(30), "the workers and the coordinator are killed");
    }

    /// <summary>Train actors (workers, coordinators) the state API lists ALIVE, among all rows (the fixture's node ran
    /// many actors, more than the default limit of 100).</summary>
    private async Task<int> AliveTrainActorsAsync() =>
        (await _ray.State.ListActorsAsync(StateListOptions.Where("state=ALIVE") with { Limit = 10_000 })).Rows
            .Count(a => a.ClassName.Contains(nameof(TrainContext), StringComparison.Ordinal) || a.ClassName.Contains("TrainCoordinator", StringComparison.Ordinal));

    private sealed class SyncProgress(List<TrainProgress> into) : IProgress<TrainProgress>
    {
        public void Report(TrainProgress value)
        {
            lock (into)
            {
                into.Add(value);
            }
        }
    }
}
