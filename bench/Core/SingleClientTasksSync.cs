using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Core;

/// <summary>Ray's "single client tasks sync": submit one trivial task, get its result, repeat.</summary>
internal sealed class SingleClientTasksSync : Benchmark
{
    public override string Name => "single client tasks sync";

    public override string Unit => "/s";

    public override string Group => "tasks";

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var ray = await RayCluster.DriverAsync(environment);
        var target = Measure.Target(environment);
        return await Measure.GuardAsync(Name, () => Measure.SequentialRateAsync(
            Name, () => ray.GetAsync(ray.Task(BenchFunctions.SmallValue).Remote()), BenchFunctions.Expected, target));
    }
}
