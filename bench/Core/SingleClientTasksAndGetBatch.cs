using System.Diagnostics;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Core;

/// <summary>Ray's "single client tasks and get batch": submit a batch of 1,000 trivial tasks, get the batch, repeat.</summary>
/// <remarks>Reported as tasks per second. Ray's own figure counts batches per second (timeit without a multiplier):
/// divide this one by 1,000 to compare.</remarks>
internal sealed class SingleClientTasksAndGetBatch : Benchmark
{
    private const int BatchSize = 1_000;

    public override string Name => "single client tasks and get batch";

    public override string Unit => "/s";

    public override string Group => "tasks";

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var ray = await RayCluster.DriverAsync(environment);
        var target = Measure.Target(environment);
        return await Measure.GuardAsync(Name, async () =>
        {
            var refs = new ObjectRef<int>[BatchSize];
            long tasks = 0;
            var executions = BenchFunctions.Executions;
            var stopwatch = Stopwatch.StartNew();
            do
            {
                for (var i = 0; i < BatchSize; i++)
                {
                    refs[i] = ray.Task(BenchFunctions.SmallValue).Remote();
                }

                var values = await ray.GetAsync(refs);
                Measure.CheckAllExpected(Name, values, BatchSize);
                tasks += BatchSize;
            }
            while (stopwatch.Elapsed < target);

            var elapsed = stopwatch.Elapsed;
            Measure.CheckExecutions(Name, executions, (int)tasks);
            return tasks / elapsed.TotalSeconds;
        });
    }
}
