using OrleansRay.Tests.Fixtures;
using OrleansRay.Train;
using Xunit;

namespace OrleansRay.Tests.Training;

/// <summary>Bad input is refused where it is given, with a message that names it.</summary>
[Collection(RayCollection.Name)]
public sealed class TrainerInputTests
{
    private readonly IRay _ray;

    public TrainerInputTests(RayFixture fixture) => _ray = fixture.Ray;

    private static Task Loop(TrainContext context) => Task.CompletedTask;

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void Fewer_than_one_worker_is_refused(int workers)
    {
        var error = Assert.Throws<ArgumentException>(() => new DataParallelTrainer(Loop, new ScalingConfig { NumWorkers = workers }));
        Assert.Contains($"NumWorkers is {workers}", error.Message);
    }

    [Fact]
    public void Negative_or_empty_resources_per_worker_are_refused()
    {
        var negative = new ScalingConfig { ResourcesPerWorker = { ["CPU"] = -1 } };
        Assert.Contains("ResourcesPerWorker[\"CPU\"] = -1", Assert.Throws<ArgumentException>(() => new DataParallelTrainer(Loop, negative)).Message);
        var nothing = new ScalingConfig { ResourcesPerWorker = { ["CPU"] = 0 } };
        Assert.Contains("0 of everything", Assert.Throws<ArgumentException>(() => new DataParallelTrainer(Loop, nothing)).Message);
    }

    [Fact]
    public void MaxFailures_below_minus_one_and_NumToKeep_below_one_are_refused()
    {
        var failures = new RunConfig { FailureConfig = new FailureConfig { MaxFailures = -2 } };
        Assert.Contains("MaxFailures is -2", Assert.Throws<ArgumentException>(() => new DataParallelTrainer(Loop, new ScalingConfig(), failures)).Message);
        var keep = new RunConfig { CheckpointConfig = new CheckpointConfig { NumToKeep = 0 } };
        Assert.Contains("NumToKeep is 0", Assert.Throws<ArgumentException>(() => new DataParallelTrainer(Loop, new ScalingConfig(), keep)).Message);
        var name = new RunConfig { Name = "a/b" };
        Assert.Contains("'a/b' is not a valid folder name", Assert.Throws<ArgumentException>(() => new DataParallelTrainer(Loop, new ScalingConfig(), name)).Message);
    }

    [Fact]
    public void A_loop_that_captures_state_or_is_bound_to_an_object_is_refused()
    {
        var learningRate = 0.1;
        var capturing = Assert.Throws<ArgumentException>(() => new DataParallelTrainer(context => Task.FromResult(learningRate), new ScalingConfig()));
        Assert.True(capturing.Message.Contains("captures variables (learningRate)", StringComparison.Ordinal), capturing.Message);
        Assert.Contains("train loop config", capturing.Message);

        var bound = Assert.Throws<ArgumentException>(() => new DataParallelTrainer(new BoundLoop().Run, new ScalingConfig()));
        Assert.Contains("instance method", bound.Message);
        Assert.Throws<ArgumentNullException>(() => new DataParallelTrainer(Loop, null!));
        Assert.Throws<ArgumentNullException>(() => new DataParallelTrainer(null!, new ScalingConfig()));
    }

    [Fact]
    public void An_unnamed_dataset_is_refused()
    {
        var datasets = new Dictionary<string, TrainDataset> { [" "] = TrainDataset.From(new[] { 1 }) };
        Assert.Contains("dataset name is empty", Assert.Throws<ArgumentException>(() => new DataParallelTrainer(Loop, new ScalingConfig(), datasets: datasets)).Message);
    }

    [Fact]
    public async Task Asking_for_a_dataset_the_trainer_does_not_have_fails_the_run_naming_the_ones_it_has()
    {
        using var storage = new TempStorage();
        var trainer = new DataParallelTrainer(TrainLoops.ShardsToCheckpoint, new ScalingConfig { NumWorkers = 1 },
            new RunConfig { StoragePath = storage.Path },
            new Dictionary<string, TrainDataset> { ["rows"] = TrainDataset.From(new[] { 1, 2 }) });

        var error = await Assert.ThrowsAsync<TrainingFailedException>(() => trainer.FitAsync(_ray));

        Assert.Contains("no dataset 'ids'; it has: rows", error.Message);
        Assert.Equal(0, error.Rank);
    }

    [Fact]
    public async Task Reading_a_dataset_as_rows_of_another_type_fails_the_run_naming_the_rows_real_type()
    {
        using var storage = new TempStorage();
        var trainer = new DataParallelTrainer(TrainLoops.TrainAsDoubles, new ScalingConfig { NumWorkers = 1 },
            new RunConfig { StoragePath = storage.Path },
            new Dictionary<string, TrainDataset> { ["train"] = TrainDataset.From(new[] { 1, 2 }) });

        var error = await Assert.ThrowsAsync<TrainingFailedException>(() => trainer.FitAsync(_ray));

        Assert.Contains("Dataset 'train' holds rows of Int32, not Double", error.Message);
        Assert.Contains("GetDatasetShard<Int32>(\"train\")", error.Message);
        Assert.DoesNotContain("ObjectRef", error.Message);
    }

    [Fact]
    public async Task A_storage_path_under_a_file_fails_the_fit_with_one_IOException_naming_StoragePath_before_any_actor_starts()
    {
        var file = Path.GetTempFileName();
        try
        {
            var storagePath = Path.Combine(file, "results");
            var progress = new List<TrainProgress>();
            var trainer = new DataParallelTrainer(Loop, new ScalingConfig { NumWorkers = 1 },
                new RunConfig { StoragePath = storagePath, Name = "run", Progress = new SyncProgress(progress) });

            var error = await Assert.ThrowsAsync<IOException>(() => trainer.FitAsync(_ray)).WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Contains($"RunConfig.StoragePath '{storagePath}'", error.Message);
            Assert.Contains($"'{Path.Combine(storagePath, "run")}' could not be created", error.Message);
            Assert.Contains($"'{file}' is a file, not a folder", error.Message);
            Assert.Contains("Set StoragePath to a folder", error.Message);
            Assert.IsAssignableFrom<IOException>(error.InnerException);
            Assert.Empty(progress); // not even a placement: it failed before the run reserved or started anything
        }
        finally
        {
            File.Delete(file);
        }
    }

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

    private sealed class BoundLoop
    {
        public Task Run(TrainContext context) => Task.CompletedTask;
    }
}
