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
    public async Task A_run_reusing_a_name_does_not_merge_the_old_runs_files_into_its_checkpoints()
    {
        using var storage = new TempStorage();
        var runPath = Path.Combine(storage.Path, "run");
        await new DataParallelTrainer<LifecycleConfig>(CheckpointLoops.Epochs, new LifecycleConfig(runPath, Epochs: 2, Marker: "old"),
            new ScalingConfig { NumWorkers = 2 }, Run(storage, maxFailures: 0, numToKeep: null)).FitAsync(_ray);
        Assert.Equal(new[] { "attempt-0.txt", "epoch.txt", "old.txt" }, Files(Path.Combine(runPath, "checkpoint_000001")));

        var result = await new DataParallelTrainer<LifecycleConfig>(CheckpointLoops.Epochs, new LifecycleConfig(runPath, Epochs: 1, Marker: "new"),
            new ScalingConfig { NumWorkers = 2 }, Run(storage, maxFailures: 0, numToKeep: null)).FitAsync(_ray);

        Assert.Equal(new[] { "attempt-0.txt", "epoch.txt", "new.txt" }, Files(result.Checkpoint!.Path));
        Assert.Equal(new[] { "checkpoint_000001" }, Folders(runPath)); // the old run's checkpoint 2 is not taken for this run's
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
