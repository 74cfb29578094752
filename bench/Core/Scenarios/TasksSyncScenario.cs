using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Core.Scenarios;

/// <summary>The shape of Ray's "single client tasks sync": submit one trivial task, get its result, repeat for about a
/// second; tasks per second. Subclasses choose the driver.</summary>
internal abstract class TasksSyncScenario : Benchmark
{
    public override string Unit => "/s";

    /// <summary>The driver that submits the tasks.</summary>
    protected abstract Task<IRay> DriverAsync(BenchEnvironment environment);

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var ray = await DriverAsync(environment);
        var target = Measure.Target(environment);
        return await Measure.GuardAsync(Name, () => Measure.SequentialRateAsync(
            Name, () => ray.GetAsync(ray.Task(BenchFunctions.SmallValue).Remote()), BenchFunctions.Expected, target));
    }
}
