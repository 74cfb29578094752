using System.Globalization;
using OrleansRay.Train;
using OrleansRay.Train.Collective;

namespace OrleansRay.Cluster.TestApp;

/// <summary>What <see cref="LinearTraining.Loop"/> does: how long it trains, and where it leaves the marks the cluster
/// tests wait on (every node of the test cluster runs on this machine, so a folder is shared by all ranks).</summary>
[GenerateSerializer, Immutable, Alias("testapp.LinearTrainConfig")]
public sealed record LinearTrainConfig
{
    /// <summary>Epochs in all (a resumed attempt goes on from its checkpoint's epoch).</summary>
    [Id(0)] public int Epochs { get; init; } = 3;

    /// <summary>The SGD step.</summary>
    [Id(1)] public double LearningRate { get; init; } = 0.5;

    /// <summary>Samples of y = 2x + 5 each rank makes for itself (its shard).</summary>
    [Id(2)] public int SamplesPerWorker { get; init; } = 64;

    /// <summary>Where each rank writes <c>a{attempt}-r{rank}.start</c> ("NODE START-EPOCH") when its loop starts and
    /// <c>a{attempt}-r{rank}.held</c> when it holds; also where rank 0 stages its checkpoints.</summary>
    [Id(3)] public string MarkerDirectory { get; init; } = string.Empty;

    /// <summary>After reporting this epoch (with its checkpoint), a first attempt's ranks hold until
    /// <see cref="ReleaseFile"/> exists, so a test can look at (or kill) the running group. 0: never hold. A resumed
    /// attempt never holds.</summary>
    [Id(4)] public int HoldAfterEpoch { get; init; }

    /// <summary>The file whose existence ends the hold.</summary>
    [Id(5)] public string? ReleaseFile { get; init; }
}

/// <summary>The training function the cluster tests run on real nodes (issue 16): data-parallel linear regression of
/// y = 2x + 5, gradients averaged with <see cref="TrainContext.AllReduceAsync(double[], ReduceOp, CancellationToken)"/>,
/// one report per epoch (epoch, loss, start_epoch, w, b) with rank 0's checkpoint, resumable from it.</summary>
public static class LinearTraining
{
    /// <summary>How long a held rank waits for the release file before it gives up (a test that died never releases).</summary>
    private static readonly TimeSpan HoldDeadline = TimeSpan.FromSeconds(120);

    /// <summary>The train loop (a static method: the nodes load this assembly and run it by name).</summary>
    public static async Task Loop(TrainContext context, LinearTrainConfig config)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(config);
        var (w, b, start) = (0.0, 0.0, 0);
        if (context.GetCheckpoint() is { } checkpoint)
        {
            (start, w, b) = Read(checkpoint);
        }

        Directory.CreateDirectory(config.MarkerDirectory);
        var mark = Path.Combine(config.MarkerDirectory, string.Create(CultureInfo.InvariantCulture, $"a{context.Attempt}-r{context.WorldRank}"));
        await MarkAsync(mark + ".start", string.Create(CultureInfo.InvariantCulture, $"{RayContext.NodeId.Value} {start}"));

        var (xs, ys) = Shard(context.WorldRank, context.WorldSize, config.SamplesPerWorker);
        for (var epoch = start + 1; epoch <= config.Epochs; epoch++)
        {
            double gw = 0, gb = 0, loss = 0;
            for (var i = 0; i < xs.Length; i++)
            {
                var error = (w * xs[i]) + b - ys[i];
                gw += 2 * error * xs[i];
                gb += 2 * error;
                loss += error * error;
            }

            var mean = await context.AllReduceAsync([gw / xs.Length, gb / xs.Length, loss / xs.Length], ReduceOp.Mean);
            w -= config.LearningRate * mean[0];
            b -= config.LearningRate * mean[1];

            string? staged = null;
            if (context.WorldRank == 0)
            {
                staged = Path.Combine(config.MarkerDirectory, string.Create(CultureInfo.InvariantCulture, $"staged-a{context.Attempt}-e{epoch}"));
                Directory.CreateDirectory(staged);
                await File.WriteAllTextAsync(Path.Combine(staged, "model.txt"), string.Create(CultureInfo.InvariantCulture, $"{epoch} {w:R} {b:R}"));
            }

            var metrics = new Dictionary<string, double>(StringComparer.Ordinal)
            {
                ["epoch"] = epoch,
                ["loss"] = mean[2],
                ["start_epoch"] = start,
                ["w"] = w,
                ["b"] = b,
            };
            await context.ReportAsync(metrics, staged is null ? null : Checkpoint.FromDirectory(staged));
            if (staged is not null)
            {
                Directory.Delete(staged, recursive: true);
            }

            if (epoch == config.HoldAfterEpoch && start == 0 && config.ReleaseFile is { } release)
            {
                await MarkAsync(mark + ".held", RayContext.NodeId.Value);
                await WaitForAsync(release, context.CancellationToken);
            }
        }
    }

    /// <summary>The <c>train</c> verb of the TestApp as a submitted job: <paramref name="workers"/> workers (PACK, 1 CPU
    /// each) train 3 epochs, holding after the first until <paramref name="releaseFile"/> exists; the trainer prints its
    /// progress ("[train] Report 1: epoch=1, loss=...") and this prints the result. Returns the exit code.</summary>
    public static async Task<int> RunAsDriverAsync(IRay ray, int workers, string storage, string releaseFile)
    {
        ArgumentNullException.ThrowIfNull(ray);
        var config = new LinearTrainConfig { Epochs = 3, MarkerDirectory = Path.Combine(storage, "marks"), HoldAfterEpoch = 1, ReleaseFile = releaseFile };
        var trainer = new DataParallelTrainer<LinearTrainConfig>(
            Loop, config, new ScalingConfig { NumWorkers = workers }, new RunConfig { Name = "linear", StoragePath = storage });
        var result = await trainer.FitAsync(ray);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"trained {result.MetricsHistory.Count} epochs: loss {result.MetricsHistory[0]["loss"]:G4} -> {result.Metrics["loss"]:G4}, w={result.Metrics["w"]:F3}, b={result.Metrics["b"]:F3}"));
        return 0;
    }

    /// <summary>The rank's shard: x spread over [0, 1) with every rank taking every WorldSize-th point.</summary>
    private static (double[] Xs, double[] Ys) Shard(int rank, int worldSize, int samples)
    {
        var xs = Enumerable.Range(0, samples).Select(i => (double)((i * worldSize) + rank) / (samples * worldSize)).ToArray();
        return (xs, xs.Select(x => (2 * x) + 5).ToArray());
    }

    private static (int Epoch, double W, double B) Read(Checkpoint checkpoint)
    {
        var parts = File.ReadAllText(Path.Combine(checkpoint.Path, "model.txt")).Split(' ');
        return (int.Parse(parts[0], CultureInfo.InvariantCulture), double.Parse(parts[1], CultureInfo.InvariantCulture), double.Parse(parts[2], CultureInfo.InvariantCulture));
    }

    /// <summary>Writes a mark whole (a reader never sees half of it).</summary>
    private static async Task MarkAsync(string path, string text)
    {
        await File.WriteAllTextAsync(path + ".tmp", text);
        File.Move(path + ".tmp", path, overwrite: true);
    }

    private static async Task WaitForAsync(string file, CancellationToken cancellationToken)
    {
        var end = DateTime.UtcNow + HoldDeadline;
        while (!File.Exists(file))
        {
            if (DateTime.UtcNow > end)
            {
                throw new TimeoutException($"Held {HoldDeadline} for {file}; nobody released the run.");
            }

            await Task.Delay(50, cancellationToken);
        }
    }
}
