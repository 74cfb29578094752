using System.Collections.Concurrent;
using System.Globalization;
using System.Numerics.Tensors;
using OrleansRay.Train;

namespace OrleansRay.Tests.Training;

/// <summary>Train loops the trainer tests run on their workers. The in-process nodes share this process, so a loop can
/// wait on a gate a test opens (no sleeps).</summary>
public static class TrainLoops
{
    /// <summary>Gates by name: a loop waiting at one goes on when the test opens it (or the attempt is stopped).</summary>
    private static readonly ConcurrentDictionary<string, TaskCompletionSource> Gates = new();

    public static TaskCompletionSource Gate(string name) =>
        Gates.GetOrAdd(name, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>Reads the dataset "train" as rows of double, whatever they are.</summary>
    public static async Task TrainAsDoubles(TrainContext context) => await context.GetDatasetShard<double>("train");

    /// <summary>Every rank writes its shard of "ids" into the checkpoint it reports; the persisted checkpoint holds all.</summary>
    public static async Task ShardsToCheckpoint(TrainContext context)
    {
        var shard = await context.GetDatasetShard<int>("ids");
        var folder = Directory.CreateTempSubdirectory("shard-");
        await File.WriteAllTextAsync(Path.Combine(folder.FullName, $"rank-{context.WorldRank}.txt"), string.Join(",", shard));
        try
        {
            await context.ReportAsync(new Dictionary<string, double> { ["rows"] = shard.Length, ["world_size"] = context.WorldSize }, Checkpoint.FromDirectory(folder.FullName));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>Counts epochs to <c>config.Epochs</c>, rank 0 checkpointing each; resumes after the epoch in the latest
    /// checkpoint. In attempt 0, rank <c>config.FailRank</c> throws at epoch <c>config.FailAtEpoch</c> (0: never), or
    /// the loops wait at the gate <c>config.Gate</c> there (for a test that kills a node meanwhile).</summary>
    public static async Task Epochs(TrainContext context, EpochsConfig config)
    {
        var start = 1;
        var resumedFrom = 0;
        if (context.GetCheckpoint() is { } checkpoint)
        {
            resumedFrom = int.Parse(await File.ReadAllTextAsync(Path.Combine(checkpoint.Path, "epoch.txt")), CultureInfo.InvariantCulture);
            start = resumedFrom + 1;
        }

        for (var epoch = start; epoch <= config.Epochs; epoch++)
        {
            if (context.Attempt == 0 && epoch == config.FailAtEpoch)
            {
                if (config.Gate is { } gate)
                {
                    await Gate(gate).Task.WaitAsync(context.CancellationToken);
                }
                else if (context.WorldRank == config.FailRank)
                {
                    throw new InvalidOperationException($"boom on rank {context.WorldRank} at epoch {epoch}."); // a sentence: the driver's messages go on after it
                }
            }

            var sum = await context.AllReduceAsync(new double[] { 1 }, Train.Collective.ReduceOp.Sum);
            var metrics = new Dictionary<string, double>
            {
                ["epoch"] = epoch,
                ["resumed_from"] = resumedFrom,
                ["attempt"] = context.Attempt,
                ["workers_seen"] = sum[0],
                ["rank"] = context.WorldRank,
            };
            if (context.WorldRank == 0)
            {
                var folder = Directory.CreateTempSubdirectory("epoch-");
                await File.WriteAllTextAsync(Path.Combine(folder.FullName, "epoch.txt"), epoch.ToString(CultureInfo.InvariantCulture));
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

    /// <summary>Allreductions each loop has completed, by gate name.</summary>
    private static readonly ConcurrentDictionary<string, int> AllReductions = new();

    public static int AllReductionsOf(string gate) => AllReductions.GetValueOrDefault(gate);

    /// <summary>Allreduces over and over until gate <paramref name="gate"/> opens (a test stops a node meanwhile, so the
    /// node goes inside a collective).</summary>
    public static async Task AllReduceUntilReleased(TrainContext context, string gate)
    {
        while (!Gate(gate).Task.IsCompleted)
        {
            await context.AllReduceAsync(new double[] { 1, 2, 3 }, Train.Collective.ReduceOp.Sum);
            AllReductions.AddOrUpdate(gate, 1, (_, n) => n + 1);
        }
    }

    /// <summary>Rank 1 returns at once; the others allreduce (a collective rank 1 never joins).</summary>
    public static async Task LeaveEarly(TrainContext context)
    {
        if (context.WorldRank != 1)
        {
            await context.AllReduceAsync(new double[] { 1 }, Train.Collective.ReduceOp.Sum);
        }
    }

    /// <summary>Waits at gate <paramref name="gate"/> (until cancelled).</summary>
    public static async Task WaitAtGate(TrainContext context, string gate) =>
        await Gate(gate).Task.WaitAsync(context.CancellationToken);

    /// <summary>Rank 0 reports twice, the others once: a barrier nobody completes.</summary>
    public static async Task UnevenReports(TrainContext context)
    {
        await context.ReportAsync(new Dictionary<string, double> { ["n"] = 1 });
        if (context.WorldRank == 0)
        {
            await context.ReportAsync(new Dictionary<string, double> { ["n"] = 2 });
        }
    }

    /// <summary>Allreduces tensors through the context: a 2×3 <c>Tensor&lt;float&gt;</c> holding rank + 1 + i (sum, then
    /// max of rank × 10 + i) and a 3×2 <c>Tensor&lt;double&gt;</c> (mean); reports what rank 0's hold and whether every
    /// call returned its own tensor, shape unchanged.</summary>
    public static async Task Tensors(TrainContext context)
    {
        var rank = context.WorldRank;
        var sum = Tensor.Create(Enumerable.Range(0, 6).Select(i => (float)(rank + 1 + i)).ToArray(), [2, 3]);
        var summed = await context.AllReduceAsync(sum);
        var max = Tensor.Create(Enumerable.Range(0, 6).Select(i => (float)(rank * 10 + i)).ToArray(), [2, 3]);
        var maxed = await context.AllReduceAsync(max, Train.Collective.ReduceOp.Max);
        var mean = Tensor.Create(Enumerable.Range(0, 6).Select(i => (double)(rank * 6 + i)).ToArray(), [3, 2]);
        var averaged = await context.AllReduceAsync(mean, Train.Collective.ReduceOp.Mean);
        var same = ReferenceEquals(summed, sum) && ReferenceEquals(maxed, max) && ReferenceEquals(averaged, mean)
            && summed.Lengths.SequenceEqual([2, 3]) && averaged.Lengths.SequenceEqual([3, 2]);
        await context.ReportAsync(new Dictionary<string, double>
        {
            ["sum_0_0"] = summed[0, 0],
            ["sum_1_2"] = summed[1, 2],
            ["max_1_2"] = maxed[1, 2],
            ["mean_2_1"] = averaged[2, 1],
            ["same_tensors"] = same ? 1 : 0,
        });
    }

    /// <summary>Reports the context's place in the group (rank 0's metrics are kept; the others' are compared by allreduce).</summary>
    public static async Task Ranks(TrainContext context)
    {
        var ranks = new double[context.WorldSize];
        ranks[context.WorldRank] = context.WorldRank + 1;
        var all = await context.AllReduceAsync(ranks, Train.Collective.ReduceOp.Sum);
        var fromRoot = await context.BroadcastAsync($"hello from {context.WorldRank}", root: 0);
        await context.BarrierAsync();
        await context.ReportAsync(new Dictionary<string, double>
        {
            ["world_size"] = context.WorldSize,
            ["rank_sum"] = all.Sum(),
            ["local_world_size"] = context.LocalWorldSize,
            ["node_rank"] = context.NodeRank,
            ["broadcast_ok"] = fromRoot == "hello from 0" ? 1 : 0,
        });
    }
}

/// <summary>The <see cref="TrainLoops.Epochs"/> loop's config.</summary>
[GenerateSerializer, Immutable]
public sealed record EpochsConfig(
    [property: Id(0)] int Epochs,
    [property: Id(1)] int FailAtEpoch = 0,
    [property: Id(2)] int FailRank = -1,
    [property: Id(3)] string? Gate = null);
