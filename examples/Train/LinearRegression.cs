using System.Numerics.Tensors;
using System.Text.Json;
using OrleansRay;
using OrleansRay.Train;
using OrleansRay.Train.Collective;

namespace TrainExample;

/// <summary>One (x, y) sample.</summary>
[GenerateSerializer, Immutable]
public sealed record Sample([property: Id(0)] float X, [property: Id(1)] float Y);

/// <summary>The train loop's configuration, copied to every worker.</summary>
[GenerateSerializer, Immutable]
public sealed record LinearConfig([property: Id(0)] int Epochs, [property: Id(1)] int StepsPerEpoch, [property: Id(2)] float LearningRate);

/// <summary>What to run: how many workers and epochs, where checkpoints go, how many restarts.</summary>
public sealed record LinearRegressionRun(int NumWorkers = 2, int Epochs = 3, string? StoragePath = null, int MaxFailures = 0, int Samples = 256);

/// <summary>The run's result and the learned line.</summary>
public sealed record LinearRegressionOutcome(TrainResult Result, float Weight, float Bias);

/// <summary>Linear regression y = w x + b learned data-parallel: each worker computes the gradient of the squared error on
/// its shard, an allreduce sums the workers' gradients, and every worker takes the same step, so N workers compute what
/// one worker would on the whole data set.</summary>
public static class LinearRegression
{
    /// <summary>Trains on <c>y = 2x + 5</c> for x in [0, 1) and returns the learned line.</summary>
    public static async Task<LinearRegressionOutcome> RunAsync(IRay ray, LinearRegressionRun run, IProgress<TrainProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var samples = Enumerable.Range(0, run.Samples).Select(i => (float)i / run.Samples).Select(x => new Sample(x, 2 * x + 5));
        var trainer = new DataParallelTrainer<LinearConfig>(
            TrainLoop,
            new LinearConfig(run.Epochs, StepsPerEpoch: 100, LearningRate: 0.5f),
            new ScalingConfig { NumWorkers = run.NumWorkers },
            new RunConfig
            {
                StoragePath = run.StoragePath,
                FailureConfig = new FailureConfig { MaxFailures = run.MaxFailures },
                CheckpointConfig = new CheckpointConfig { NumToKeep = 2 },
                Progress = progress,
            },
            new Dictionary<string, TrainDataset> { ["train"] = TrainDataset.From(samples) });
        var result = await trainer.FitAsync(ray, cancellationToken);
        var model = Model.Load(result.Checkpoint!);
        return new LinearRegressionOutcome(result, model.Weight, model.Bias);
    }

    /// <summary>The loop every worker runs (Ray's <c>train_loop_per_worker</c>).</summary>
    public static async Task TrainLoop(TrainContext context, LinearConfig config)
    {
        var shard = await context.GetDatasetShard<Sample>("train");
        var xs = shard.Select(s => s.X).ToArray();
        var ys = shard.Select(s => s.Y).ToArray();
        var predictions = new float[xs.Length];

        // Resume from the latest checkpoint after a restart; else start from w = b = 0.
        var model = context.GetCheckpoint() is { } checkpoint ? Model.Load(checkpoint) : new Model(0, 0, Epoch: 0);
        for (var epoch = model.Epoch + 1; epoch <= config.Epochs; epoch++)
        {
            double epochLoss = 0;
            for (var step = 0; step < config.StepsPerEpoch; step++)
            {
                // Local sums over the shard: squared error, d/dw and d/db of it, and the number of samples.
                TensorPrimitives.Multiply(xs, model.Weight, predictions);
                TensorPrimitives.Add(predictions, model.Bias, predictions);
                TensorPrimitives.Subtract(predictions, ys, predictions);
                var local = new[] { TensorPrimitives.SumOfSquares(predictions), 2 * TensorPrimitives.Dot(predictions, xs), 2 * TensorPrimitives.Sum(predictions), xs.Length };
                var total = await context.AllReduceAsync(local, ReduceOp.Sum);
                var n = total[3];
                model = model with { Weight = model.Weight - config.LearningRate * total[1] / n, Bias = model.Bias - config.LearningRate * total[2] / n };
                epochLoss += total[0] / n;
            }

            model = model with { Epoch = epoch };
            var metrics = new Dictionary<string, double> { ["epoch"] = epoch, ["loss"] = epochLoss / config.StepsPerEpoch, ["w"] = model.Weight, ["b"] = model.Bias };
            if (context.WorldRank == 0)
            {
                // Rank 0 saves the model (every rank holds the same one); the trainer persists the folder.
                var folder = Directory.CreateTempSubdirectory("linear-");
                model.Save(folder.FullName);
                try
                {
                    await context.ReportAsync(metrics, Checkpoint.FromDirectory(folder.FullName));
                }
                finally
                {
                    folder.Delete(recursive: true);
                }
            }
            else
            {
                await context.ReportAsync(metrics);
            }
        }
    }

    /// <summary>The model and the epoch it finished, as saved in a checkpoint.</summary>
    public sealed record Model(float Weight, float Bias, int Epoch)
    {
        private const string FileName = "model.json";

        public static Model Load(Checkpoint checkpoint) =>
            JsonSerializer.Deserialize<Model>(File.ReadAllText(Path.Combine(checkpoint.Path, FileName)))!;

        public void Save(string folder) => File.WriteAllText(Path.Combine(folder, FileName), JsonSerializer.Serialize(this));
    }
}
