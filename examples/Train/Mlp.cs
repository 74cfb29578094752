using System.Numerics.Tensors;
using OrleansRay;
using OrleansRay.Train;
using OrleansRay.Train.Collective;

namespace TrainExample;

/// <summary>The MLP loop's configuration.</summary>
[GenerateSerializer, Immutable]
public sealed record MlpConfig([property: Id(0)] int Epochs, [property: Id(1)] int StepsPerEpoch, [property: Id(2)] float LearningRate, [property: Id(3)] int Hidden);

/// <summary>A small MLP (1 → Hidden tanh units → 1) learning y = sin(πx) on [-1, 1], data-parallel: rank 0 initializes
/// the weights and broadcasts them; each step every worker computes the gradient on its shard, an allreduce sums them,
/// and every worker takes the same step.</summary>
public static class Mlp
{
    /// <summary>Trains and returns the run's result (metrics "epoch" and "loss" per epoch).</summary>
    public static Task<TrainResult> RunAsync(IRay ray, int numWorkers, int epochs = 3, string? storagePath = null, CancellationToken cancellationToken = default)
    {
        var samples = Enumerable.Range(0, 200).Select(i => -1 + 2f * i / 199).Select(x => new Sample(x, MathF.Sin(MathF.PI * x)));
        var trainer = new DataParallelTrainer<MlpConfig>(
            TrainLoop,
            new MlpConfig(epochs, StepsPerEpoch: 200, LearningRate: 0.2f, Hidden: 16),
            new ScalingConfig { NumWorkers = numWorkers },
            new RunConfig { StoragePath = storagePath },
            new Dictionary<string, TrainDataset> { ["train"] = TrainDataset.From(samples) });
        return trainer.FitAsync(ray, cancellationToken);
    }

    /// <summary>The loop every worker runs.</summary>
    public static async Task TrainLoop(TrainContext context, MlpConfig config)
    {
        var h = config.Hidden;
        var shard = await context.GetDatasetShard<Sample>("train");

        // Parameters in one array: W1 (h), b1 (h), W2 (h), b2 (1). Rank 0's random start is everyone's.
        var parameters = new float[3 * h + 1];
        if (context.WorldRank == 0)
        {
            var random = new Random(42);
            for (var i = 0; i < parameters.Length; i++)
            {
                parameters[i] = (float)(random.NextDouble() - 0.5);
            }
        }

        parameters = await context.BroadcastAsync(parameters, root: 0);
        var hidden = new float[h];
        var scratch = new float[h];
        for (var epoch = 1; epoch <= config.Epochs; epoch++)
        {
            double epochLoss = 0;
            for (var step = 0; step < config.StepsPerEpoch; step++)
            {
                // Gradients of the summed squared error, then the loss and the sample count: [gW1, gb1, gW2, gb2, loss, n].
                var local = new float[3 * h + 3];
                var w1 = parameters.AsSpan(0, h);
                var b1 = parameters.AsSpan(h, h);
                var w2 = parameters.AsSpan(2 * h, h);
                var b2 = parameters[3 * h];
                foreach (var (x, y) in shard)
                {
                    TensorPrimitives.Multiply(w1, x, hidden);
                    TensorPrimitives.Add(hidden, b1, hidden);
                    TensorPrimitives.Tanh(hidden, hidden);
                    var error = TensorPrimitives.Dot(w2, hidden) + b2 - y;
                    var d = 2 * error;

                    // dLoss/dhidden-input = d * W2 * (1 - hidden²)
                    TensorPrimitives.Multiply(hidden, hidden, scratch);
                    TensorPrimitives.Negate(scratch, scratch);
                    TensorPrimitives.Add(scratch, 1f, scratch);
                    TensorPrimitives.Multiply(scratch, w2, scratch);
                    TensorPrimitives.Multiply(scratch, d, scratch);

                    var gW1 = local.AsSpan(0, h);
                    var gB1 = local.AsSpan(h, h);
                    var gW2 = local.AsSpan(2 * h, h);
                    TensorPrimitives.MultiplyAdd(scratch, x, gW1, gW1);
                    TensorPrimitives.Add(gB1, scratch, gB1);
                    TensorPrimitives.MultiplyAdd(hidden, d, gW2, gW2);
                    local[3 * h] += d;
                    local[3 * h + 1] += error * error;
                    local[3 * h + 2] += 1;
                }

                var total = await context.AllReduceAsync(local, ReduceOp.Sum);
                var n = total[3 * h + 2];
                TensorPrimitives.MultiplyAdd(total.AsSpan(0, 3 * h + 1), -config.LearningRate / n, parameters, parameters);
                epochLoss += total[3 * h + 1] / n;
            }

            await context.ReportAsync(new Dictionary<string, double> { ["epoch"] = epoch, ["loss"] = epochLoss / config.StepsPerEpoch });
        }
    }
}
