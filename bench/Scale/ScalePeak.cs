using OrleansRay.Bench.Core;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Scale;

/// <summary>Runs one measurement of a scalability-envelope row under the harness' guard and reports its peak memory as
/// the companion figure "ROW peak memory" (MiB), as "single node 1M queued tasks peak memory" does.</summary>
/// <remarks>The figure is this process's peak working set during the run (<see cref="PeakMemorySampler"/>: the driver,
/// and for the embedded rows the node too, plus whatever earlier rows of the same harness run left resident), plus, for
/// the rows that start node processes, the sum of those processes' own peaks (VmHWM) since the row started them
/// (<see cref="ScaleCluster.NodesPeakResidentBytes"/>; peaks of different processes need not coincide, so the sum is an
/// upper bound of their joint peak). The line printed per run also gives, right after the sampler's full GC, the live
/// managed heap and the memory the GC keeps committed: a run that follows one which held hundreds of MiB starts with
/// that much committed but free (the GC keeps its regions), not with live objects.</remarks>
internal static class ScalePeak
{
    private const double MiB = 1 << 20;

    /// <summary>Runs <paramref name="body"/> (its figure is returned) while the peak memory is taken.</summary>
    public static async Task<double> MeasureAsync(string benchmark, BenchRun run, Func<Task<double>> body, ScaleCluster? cluster = null, TimeSpan? timeout = null)
    {
        using var memory = PeakMemorySampler.Start();
        // Right after the sampler's full GC: what of the working set before the run is live managed objects.
        var gcBefore = GC.GetGCMemoryInfo();
        var (heapBefore, committedBefore) = (gcBefore.HeapSizeBytes, gcBefore.TotalCommittedBytes);
        var figure = await Measure.GuardAsync(benchmark, body, timeout);
        memory.Stop();
        var nodes = cluster?.NodesPeakResidentBytes() ?? 0;
        run.Report(benchmark + " peak memory", (memory.Peak + nodes) / MiB, "MiB");
        Console.Error.Write(cluster is null
            ? $"[peak {memory.Peak / MiB:F0} MiB, {memory.Baseline / MiB:F0} MiB before, managed heap {heapBefore / MiB:F0} MiB of {committedBefore / MiB:F0} MiB committed] "
            : $"[peak {memory.Peak / MiB:F0} MiB here ({memory.Baseline / MiB:F0} MiB before, managed heap {heapBefore / MiB:F0} MiB of {committedBefore / MiB:F0} MiB committed) + {nodes / MiB:F0} MiB in {cluster.Nodes.Count} node processes] ");
        return figure;
    }
}
