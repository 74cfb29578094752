using System.Diagnostics;
using OrleansRay.Bench.Core;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Scale;

/// <summary>Ray's microbenchmark "placement group create/removal": create 100 placement groups of one small bundle, wait
/// until each is placed, remove them all; repeated for about a second; groups per second. Ray's figure: 765/s; issue
/// 18's goal: ≥ 7,650/s.</summary>
/// <remarks>On the run's embedded node (<see cref="RayCluster"/>). Ray's bundles ask for 0.001 of a custom resource;
/// here 0.001 CPU, which the embedded node has without extra options. The 100 creations and the 100 removals are each
/// issued at once and awaited together, as a C# program wanting throughput writes it. Groups left over by a failed run
/// are removed before the run fails.</remarks>
internal sealed class PlacementGroupCreateRemoval : Benchmark
{
    private const int GroupsPerBatch = 100;

    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);

    public override string Name => "placement group create/removal";

    public override string Unit => "/s";

    public override string Group => "scale";

    public override int Runs => 3;

    /// <summary>Three unrecorded runs, as the connected rows: run first in a process, the row's Orleans code (activation,
    /// directory, storage, deactivation) is still being compiled by the tiered JIT for several seconds.</summary>
    public override int Warmups => 3;

    /// <summary>And at least 10 s, as "many actors creation": run alone (its group released, session 27), three runs
    /// left it at 2,900–3,800/s, against 8,700–13,800/s after other rows of its group had warmed the same code.</summary>
    public override TimeSpan WarmupTime => TimeSpan.FromSeconds(10);

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var ray = await RayCluster.DriverAsync(environment);
        var target = Measure.Target(environment);
        var live = new List<PlacementGroup>();
        try
        {
            return await ScalePeak.MeasureAsync(Name, run, async () =>
            {
                long done = 0;
                var stopwatch = Stopwatch.StartNew();
                do
                {
                    var groups = await Task.WhenAll(Enumerable.Range(0, GroupsPerBatch)
                        .Select(_ => ray.CreatePlacementGroupAsync([new Bundle { ["CPU"] = 0.001 }])));
                    lock (live)
                    {
                        live.AddRange(groups);
                    }

                    var placed = await Task.WhenAll(groups.Select(g => g.WaitAsync(ReadyTimeout)));
                    if (placed.Any(p => !p))
                    {
                        throw new InvalidOperationException($"Benchmark \"{Name}\": {placed.Count(p => !p)} of {GroupsPerBatch} placement groups of 0.001 CPU were not placed within {ReadyTimeout.TotalSeconds:F0} s.");
                    }

                    await Task.WhenAll(groups.Select(ray.RemovePlacementGroupAsync));
                    lock (live)
                    {
                        live.Clear();
                    }

                    done += GroupsPerBatch;
                }
                while (stopwatch.Elapsed < target);

                return done / stopwatch.Elapsed.TotalSeconds;
            });
        }
        finally
        {
            List<PlacementGroup> leftover;
            lock (live)
            {
                leftover = live.ToList();
            }

            if (leftover.Count > 0)
            {
                try
                {
                    await Task.WhenAll(leftover.Select(ray.RemovePlacementGroupAsync)).WaitAsync(Measure.StartTimeout);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    Console.Error.WriteLine($"warning: benchmark \"{Name}\": removing {leftover.Count} placement groups left by a failed run failed: {ex.Message}");
                }
            }
        }
    }
}
