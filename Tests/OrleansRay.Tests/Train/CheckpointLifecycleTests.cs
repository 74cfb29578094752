using System.Globalization;
using OrleansRay.Tests.Fixtures;
using OrleansRay.Train;
using Xunit;

namespace OrleansRay.Tests.Training;

/// <summary>Which checkpoint folders exist, and what they hold, across attempts and runs: only the driver prunes (after
/// it read the report that makes a folder obsolete), a failed attempt's uncompleted checkpoint goes, and a new
/// checkpoint never inherits files of an old one.</summary>
[Collection(RayCollection.Name)]
public sealed class CheckpointLifecycleTests
{
    private readonly IRay _ray;

    public CheckpointLifecycleTests(RayFixture fixture) => _ray = fixture.Ray;

    private static RunConfig Run(TempStorage storage, int maxFailures, int? numToKeep) => new()
    {
        StoragePath = storage.Path,
        Name = "run",
        FailureConfig = new FailureConfig { MaxFailures = maxFailures },
        CheckpointConfig = new CheckpointConfig { NumToKeep = numToKeep },
    };

    private static string[] Folders(string runPath) =>
        Directory.GetDirectories(runPath).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public async Task With_NumToKeep_1_a_restart_right_after_a_report_resumes_from_a_checkpoint_that_exists()
    {
        using var storage = new TempStorage();
        var runPath = Path.Combine(storage.Path, "run");
        // Rank 0 throws as soon as report 3 returned: the driver must not have deleted checkpoint 3 nor hand out 2.
        var trainer = new DataParallelTrainer<LifecycleConfig>(CheckpointLoops.Epochs, new LifecycleConfig(runPath, Epochs: 5, FailAfterReport: 3),
            new ScalingConfig { NumWorkers = 2 }, Run(storage, maxFailures: 1, numToKeep: 1));

        var result = await trainer.FitAsync(_ray);

        Assert.Equal(2, result.Attempts);
        Assert.Equal(new[] { 0.0, 0.0, 0.0, 3.0, 3.0 }, result.MetricsHistory.Select(m => m["resumed_from"])); // the loop checked the folder holds epoch.txt
        Assert.Equal(new[] { "checkpoint_000005" }, Folders(runPath));
        Assert.Equal(Path.Combine(runPath, "checkpoint_000005"), result.Checkpoint!.Path);
        Assert.Equal("5", File.ReadAllText(Path.Combine(result.Checkpoint.Path, "epoch.txt")));
    }

    [Fact]
    public async Task A_failed_run_leaves_exactly_its_kept_checkpoints_not_the_one_of_an_iteration_that_never_completed()
    {
        using var storage = new TempStorage();
        var runPath = Path.Combine(storage.Path, "run");
        // Epoch 3: rank 0 persists checkpoint_000003 and waits in the report; rank 1 throws instead of reporting.
        var trainer = new DataParallelTrainer<LifecycleConfig>(CheckpointLoops.Epochs, new LifecycleConfig(runPath, Epochs: 4, UncompletedAt: 3),
            new ScalingConfig { NumWorkers = 2 }, Run(storage, maxFailures: 0, numToKeep: 2));

        var error = await Assert.ThrowsAsync<TrainingFailedException>(() => trainer.FitAsync(_ray));

        Assert.Equal(1, error.Rank);
        var kept = error.Result!.BestCheckpoints.Select(c => Path.GetFileName(c.Checkpoint.Path)!).ToArray();
        Assert.Equal(new[] { "checkpoint_000001", "checkpoint_000002" }, kept);
        Assert.Equal(kept, Folders(runPath));
    }

    [Fact]
    public async Task After_a_restart_the_uncompleted_iterations_checkpoint_is_written_afresh_and_the_folders_equal_the_kept_list()
    {
        using var storage = new TempStorage();
        var runPath = Path.Combine(storage.Path, "run");
        var trainer = new DataParallelTrainer<LifecycleConfig>(CheckpointLoops.Epochs, new LifecycleConfig(runPath, Epochs: 4, UncompletedAt: 3),
            new ScalingConfig { NumWorkers = 2 }, Run(storage, maxFailures: 1, numToKeep: 2));

        var result = await trainer.FitAsync(_ray);

        Assert.Equal(2, result.Attempts);
        Assert.Equal(new[] { "checkpoint_000003", "checkpoint_000004" }, Folders(runPath));
        Assert.Equal(Folders(runPath), result.BestCheckpoints.Select(c => Path.GetFileName(c.Checkpoint.Path)!).ToArray());
        // Attempt 0's copy of checkpoint 3 (never completed) is gone: only attempt 1's files are in it.
        Assert.Equal(new[] { "attempt-1.txt", "epoch.txt" }, Files(Path.Combine(runPath, "checkpoint_000003")));
    }

    [Fact]
    public async Task A_run_reusing_a_name_resumes_from_the_earlier_runs_reports_and_keeps_its_checkpoints()
    {
        using var storage = new TempStorage();
        var runPath = Path.Combine(storage.Path, "run");
        await new DataParallelTrainer<LifecycleConfig>(CheckpointLoops.Epochs, new LifecycleConfig(runPath, Epochs: 2, Marker: "old"),
            new ScalingConfig { NumWorkers = 2 }, Run(storage, maxFailures: 0, numToKeep: null)).FitAsync(_ray);
        Assert.Equal(new[] { "attempt-0.txt", "epoch.txt", "old.txt" }, Files(Path.Combine(runPath, "checkpoint_000002")));
        // An uncompleted checkpoint of the earlier run (its driver died in report 3): never merged into the new one.
        Directory.CreateDirectory(Path.Combine(runPath, "checkpoint_000003"));
        File.WriteAllText(Path.Combine(runPath, "checkpoint_000003", "stale.txt"), "x");

        var events = new List<TrainProgress>();
        var config = Run(storage, maxFailures: 0, numToKeep: null);
        config.Progress = new SyncProgress(events);
        var result = await new DataParallelTrainer<LifecycleConfig>(CheckpointLoops.Epochs, new LifecycleConfig(runPath, Epochs: 4, Marker: "new"),
            new ScalingConfig { NumWorkers = 2 }, config).FitAsync(_ray);

        // Ray Train's job driver fault tolerance: the same name and storage path go on from the earlier run's state.
        var resuming = Assert.Single(events, e => e.Kind == TrainProgressKind.Resuming);
        Assert.Contains("after its 2 earlier report(s)", resuming.Message, StringComparison.Ordinal);
        Assert.Contains("checkpoint_000002", resuming.Message, StringComparison.Ordinal);
        Assert.Equal(new[] { 1.0, 2.0, 3.0, 4.0 }, result.MetricsHistory.Select(m => m["training_iteration"]));
        Assert.Equal(new[] { 0.0, 0.0, 2.0, 2.0 }, result.MetricsHistory.Select(m => m["resumed_from"])); // the loop got checkpoint 2
        Assert.Equal(new[] { "checkpoint_000001", "checkpoint_000002", "checkpoint_000003", "checkpoint_000004" }, Folders(runPath));
        Assert.Equal(new[] { "attempt-0.txt", "epoch.txt", "old.txt" }, Files(Path.Combine(runPath, "checkpoint_000001")));
        Assert.Equal(new[] { "attempt-0.txt", "epoch.txt", "new.txt" }, Files(Path.Combine(runPath, "checkpoint_000003")));
        Assert.Equal(Path.Combine(runPath, "checkpoint_000004"), result.Checkpoint!.Path);
        Assert.Equal(4, result.BestCheckpoints.Count);
    }

    [Fact]
    public async Task A_run_of_a_reused_name_that_never_starts_leaves_the_earlier_runs_checkpoints_in_place()
    {
        using var storage = new TempStorage();
        var runPath = Path.Combine(storage.Path, "run");
        await new DataParallelTrainer<LifecycleConfig>(CheckpointLoops.Epochs, new LifecycleConfig(runPath, Epochs: 2),
            new ScalingConfig { NumWorkers = 2 }, Run(storage, maxFailures: 0, numToKeep: null)).FitAsync(_ray);

        // More workers than the cluster holds: the run waits for placement until its token is cancelled.
        using var cancel = new CancellationTokenSource();
        var config = Run(storage, maxFailures: 0, numToKeep: 1);
        config.Progress = new CancelOnPending(cancel);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new DataParallelTrainer<LifecycleConfig>(CheckpointLoops.Epochs,
            new LifecycleConfig(runPath, Epochs: 4), new ScalingConfig { NumWorkers = 64 }, config).FitAsync(_ray, cancel.Token));

        // Nothing completed is lost: NumToKeep = 1 drops the earlier run's older checkpoint only once this run's first
        // checkpoint completes, which never happened.
        Assert.Equal(new[] { "checkpoint_000001", "checkpoint_000002" }, Folders(runPath));
        Assert.Equal(2, File.ReadAllLines(Path.Combine(runPath, "reports.jsonl")).Length);
    }

    [Fact]
    public async Task A_second_run_of_a_name_in_use_is_refused_and_leaves_the_folder_as_it_is()
    {
        using var storage = new TempStorage();
        var runPath = Path.Combine(storage.Path, "run");
        Directory.CreateDirectory(runPath);

        using (RunLog.Hold(runPath, "run")) // a run of this name and storage path is running
        {
            var error = await Assert.ThrowsAsync<IOException>(() => new DataParallelTrainer<LifecycleConfig>(CheckpointLoops.Epochs,
                new LifecycleConfig(runPath, Epochs: 1), new ScalingConfig { NumWorkers = 2 }, Run(storage, maxFailures: 0, numToKeep: null)).FitAsync(_ray));
            Assert.Contains("is in use by another run", error.Message, StringComparison.Ordinal);
            Assert.Empty(Folders(runPath));
        }

        // Once that run ended, the name is free.
        var result = await new DataParallelTrainer<LifecycleConfig>(CheckpointLoops.Epochs, new LifecycleConfig(runPath, Epochs: 1),
            new ScalingConfig { NumWorkers = 2 }, Run(storage, maxFailures: 0, numToKeep: null)).FitAsync(_ray);
        Assert.Equal(Path.Combine(runPath, "checkpoint_000001"), result.Checkpoint!.Path);
        Assert.False(File.Exists(Path.Combine(runPath, RunLog.LockFileName)));
    }

    [Fact]
    public async Task A_folder_holding_checkpoints_without_a_run_log_is_refused_and_left_as_it_is()
    {
        using var storage = new TempStorage();
        var runPath = Path.Combine(storage.Path, "run");
        Directory.CreateDirectory(Path.Combine(runPath, "checkpoint_000007"));
        File.WriteAllText(Path.Combine(runPath, "checkpoint_000007", "weights.bin"), "x");

        var error = await Assert.ThrowsAsync<IOException>(() => new DataParallelTrainer<LifecycleConfig>(CheckpointLoops.Epochs,
            new LifecycleConfig(runPath, Epochs: 1), new ScalingConfig { NumWorkers = 2 }, Run(storage, maxFailures: 0, numToKeep: null)).FitAsync(_ray));

        Assert.Contains("checkpoint_000007", error.Message, StringComparison.Ordinal);
        Assert.Contains("another RunConfig.Name", error.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(runPath, "checkpoint_000007", "weights.bin")));
    }

    [Fact]
    public void A_storage_path_starting_with_a_tilde_is_under_the_home_folder()
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        Assert.Equal(Path.Combine(home, "results"), CheckpointStore.ExpandHome("~/results"));
        Assert.Equal(home, CheckpointStore.ExpandHome("~"));
        Assert.Equal("~other/results", CheckpointStore.ExpandHome("~other/results"));
        Assert.Equal("results/~", CheckpointStore.ExpandHome("results/~"));
        Assert.Null(CheckpointStore.ExpandHome(null));
    }

    [Fact]
    public void The_run_log_keeps_non_finite_metrics_and_stops_at_a_line_cut_short()
    {
        using var storage = new TempStorage();
        Assert.Empty(RunLog.Open(storage.Path)); // a new run: the log is made
        RunLog.Append(storage.Path, [
            new OrleansRay.Train.Wire.ReportRecord(1, new Dictionary<string, double> { ["loss"] = double.NaN }, null),
            new OrleansRay.Train.Wire.ReportRecord(2, new Dictionary<string, double> { ["loss"] = double.PositiveInfinity }, Path.Combine(storage.Path, "checkpoint_000002")),
        ]);
        File.AppendAllText(Path.Combine(storage.Path, RunLog.FileName), "{\"iteration\":3,\"metr"); // the driver died writing it

        var reports = RunLog.Open(storage.Path);

        Assert.Equal(new[] { 1, 2 }, reports.Select(r => r.Iteration));
        Assert.True(double.IsNaN(reports[0].Metrics["loss"]));
        Assert.Equal(double.PositiveInfinity, reports[1].Metrics["loss"]);
        Assert.Equal(Path.Combine(storage.Path, "checkpoint_000002"), reports[1].Checkpoint);

        // The cut line is gone: what the resumed run logs next follows the last good one.
        RunLog.Append(storage.Path, [new OrleansRay.Train.Wire.ReportRecord(3, new Dictionary<string, double> { ["loss"] = 0.5 }, null)]);
        Assert.Equal(new[] { 1, 2, 3 }, RunLog.Open(storage.Path).Select(r => r.Iteration));
    }

    /// <summary>Collects progress events as they are reported (Progress&lt;T&gt; would post them later).</summary>
    private sealed class SyncProgress(List<TrainProgress> events) : IProgress<TrainProgress>
    {
        public void Report(TrainProgress value)
        {
            lock (events)
            {
                events.Add(value);
            }
        }
    }

    /// <summary>Cancels the run once it reports that its placement group waits.</summary>
    private sealed class CancelOnPending(CancellationTokenSource cancel) : IProgress<TrainProgress>
    {
        public void Report(TrainProgress value)
        {
            if (value.Kind == TrainProgressKind.PlacementPending)
            {
                cancel.Cancel();
            }
        }
    }

    [Fact]
    public async Task A_run_whose_coordinator_cannot_give_its_final_reports_fails_instead_of_succeeding_without_them()
    {
        using var storage = new TempStorage();
        var trainer = new DataParallelTrainer(CheckpointLoops.ReportThenKillCoordinator, new ScalingConfig { NumWorkers = 2 },
            Run(storage, maxFailures: 0, numToKeep: null));

        var error = await Assert.ThrowsAsync<TrainingFailedException>(() => trainer.FitAsync(_ray));

        Assert.Equal(-1, error.Rank); // no rank's fault
        Assert.Contains("coordinator could not give the final reports", error.Message);
    }

    private static string[] Files(string folder) =>
        Directory.GetFiles(folder).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal).ToArray();
}

/// <summary>The loop of <see cref="CheckpointLifecycleTests"/>: counts epochs, rank 0 checkpointing each (epoch.txt,
/// attempt-A.txt and, when set, MARKER.txt), resuming after the epoch of <see cref="TrainContext.GetCheckpoint"/>, which
/// it first checks exists with its files.</summary>
public static class CheckpointLoops
{
    /// <summary>Every rank reports once; then rank 0 kills the run's coordinator (found through the context's setup) and
    /// every loop returns, so the driver's final poll cannot be answered.</summary>
    public static async Task ReportThenKillCoordinator(TrainContext context)
    {
        await context.ReportAsync(new Dictionary<string, double> { ["step"] = 1 });
        if (context.WorldRank == 0)
        {
            var setup = (OrleansRay.Train.Wire.WorkerSetup)typeof(TrainContext)
                .GetField("_setup", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(context)!;
            await Ray.Current.KillAsync(setup.Coordinator);
        }
    }

    public static async Task Epochs(TrainContext context, LifecycleConfig config)
    {
        var start = 1;
        var resumedFrom = 0;
        if (context.GetCheckpoint() is { } checkpoint)
        {
            var epochFile = Path.Combine(checkpoint.Path, "epoch.txt");
            if (!File.Exists(epochFile))
            {
                throw new InvalidOperationException($"GetCheckpoint() gave {checkpoint.Path}, which does not hold epoch.txt (deleted?)");
            }

            resumedFrom = int.Parse(await File.ReadAllTextAsync(epochFile), CultureInfo.InvariantCulture);
            start = resumedFrom + 1;
        }

        for (var epoch = start; epoch <= config.Epochs; epoch++)
        {
            if (context.Attempt == 0 && epoch == config.UncompletedAt && context.WorldRank == 1)
            {
                // Fail only once rank 0 persisted this epoch's checkpoint (it then waits in the report for this rank).
                var folder = Path.Combine(config.RunPath, "checkpoint_" + epoch.ToString("D6", CultureInfo.InvariantCulture));
                await Eventually.TrueAsync(() => File.Exists(Path.Combine(folder, "epoch.txt")), TimeSpan.FromSeconds(30), $"rank 0 persists {folder}");
                throw new InvalidOperationException($"rank 1 fails while rank 0 waits in report {epoch}");
            }

            var metrics = new Dictionary<string, double> { ["epoch"] = epoch, ["resumed_from"] = resumedFrom };
            if (context.WorldRank == 0)
            {
                var folder = Directory.CreateTempSubdirectory("lifecycle-");
                await File.WriteAllTextAsync(Path.Combine(folder.FullName, "epoch.txt"), epoch.ToString(CultureInfo.InvariantCulture));
                await File.WriteAllTextAsync(Path.Combine(folder.FullName, $"attempt-{context.Attempt}.txt"), "x");
                if (config.Marker is { } marker)
                {
                    await File.WriteAllTextAsync(Path.Combine(folder.FullName, marker + ".txt"), "x");
                }

                try
                {
                    await context.ReportAsync(metrics, Checkpoint.FromDirectory(folder.FullName));
                }
                finally
                {
                    // The report copied the folder into the run (or failed with the attempt): ours goes either way.
                    folder.Delete(recursive: true);
                }
            }
            else
            {
                await context.ReportAsync(metrics);
            }

            if (context.Attempt == 0 && epoch == config.FailAfterReport && context.WorldRank == 0)
            {
                throw new InvalidOperationException($"rank 0 fails right after report {epoch}");
            }
        }
    }
}

/// <summary>The <see cref="CheckpointLoops.Epochs"/> loop's config; <c>RunPath</c> is the run's folder.</summary>
[GenerateSerializer, Immutable]
public sealed record LifecycleConfig(
    [property: Id(0)] string RunPath,
    [property: Id(1)] int Epochs,
    [property: Id(2)] int UncompletedAt = 0,
    [property: Id(3)] int FailAfterReport = 0,
    [property: Id(4)] string? Marker = null);
