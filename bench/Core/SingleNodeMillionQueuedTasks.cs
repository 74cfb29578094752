using System.Diagnostics;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Core;

/// <summary>Ray's "single node 1M queued tasks" (release scalability test): submit 1,000,000 trivial tasks without
/// awaiting, then wait for all; seconds from the first submit to the last result.</summary>
/// <remarks>
/// Companion "single node 1M queued tasks peak memory" (MiB): the peak working set of the whole process during the
/// run (see <see cref="PeakMemorySampler"/>), which includes the embedded node and whatever earlier benchmarks of the
/// same harness run left; run this benchmark alone for the cleanest figure. The refs live in one array until the
/// results are in, as a user's <c>ray.get(refs)</c> would keep them. With --quick: 100,000 tasks.
/// </remarks>
internal sealed class SingleNodeMillionQueuedTasks : Benchmark
{
    private const int Tasks = 1_000_000;

    public override string Name => "single node 1M queued tasks";

    public override string Unit => "s";

    public override string Group => "scale";

    public override int Runs => 2;

    public override int Warmups => 0;

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var ray = await RayCluster.DriverAsync(environment);
        var count = Measure.Count(environment, Tasks);
        using var memory = PeakMemorySampler.Start();
        var (submit, total) = await Measure.GuardAsync(Name, async () =>
        {
            var executions = BenchFunctions.Executions;
            var refs = new ObjectRef<int>[count];
            var stopwatch = Stopwatch.StartNew();
            for (var i = 0; i < count; i++)
            {
                refs[i] = ray.Task(BenchFunctions.SmallValue).Remote();
            }

            var submitted = stopwatch.Elapsed;
            var values = await ray.GetAsync(refs);
            var elapsed = stopwatch.Elapsed;
            Measure.CheckAllExpected(Name, values, count);
            Measure.CheckExecutions(Name, executions, count);
            return (submitted, elapsed);
        }, TimeSpan.FromMinutes(5));
        memory.Stop();

        const double MiB = 1 << 20;
        run.Report(Name + " peak memory", memory.Peak / MiB, "MiB");
        Console.Error.Write($"[{count:N0} tasks: submitted in {submit.TotalSeconds:F2} s, all done in {total.TotalSeconds:F2} s; " +
                            $"working set {memory.Baseline / MiB:F0} MiB before, peak {memory.Peak / MiB:F0} MiB ({memory.Method})] ");
        return total.TotalSeconds;
    }
}
