using System.Diagnostics;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Core;

/// <summary>Ray's "single client tasks async": submit many trivial tasks without awaiting, then get them all.</summary>
/// <remarks>Ray submits 1,000 per <c>ray.get</c>; here one run submits 300,000 (30,000 with --quick) and then gets them
/// all, so the figure is the driver's sustained submit-to-result throughput with a deep queue.</remarks>
internal sealed class SingleClientTasksAsync : Benchmark
{
    private const int TasksPerRun = 300_000;

    public override string Name => "single client tasks async";

    public override string Unit => "/s";

    public override string Group => "tasks";

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var ray = await RayCluster.DriverAsync(environment);
        var count = Measure.Count(environment, TasksPerRun);
        return await Measure.GuardAsync(Name, async () =>
        {
            var executions = BenchFunctions.Executions;
            var refs = new ObjectRef<int>[count];
            var stopwatch = Stopwatch.StartNew();
            for (var i = 0; i < count; i++)
            {
                refs[i] = ray.Task(BenchFunctions.SmallValue).Remote();
            }

            var values = await ray.GetAsync(refs);
            var elapsed = stopwatch.Elapsed;
            Measure.CheckAllExpected(Name, values, count);
            Measure.CheckExecutions(Name, executions, count);
            return count / elapsed.TotalSeconds;
        });
    }
}
