using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Core.Scenarios;

/// <summary>The shape of Ray's "1:1 actor calls sync": the driver calls one actor's trivial method and gets the result,
/// repeatedly for about a second; calls per second. Subclasses choose the driver.</summary>
internal abstract class ActorCallsSyncScenario : ActorScenario
{
    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var (ray, actor) = (Driver, Actor);
        var target = Measure.Target(environment);
        return await Measure.GuardAsync(Name, () => Measure.SequentialRateAsync(
            Name, () => ray.GetAsync(actor.Task(static a => a.SmallValue()).Remote()), BenchFunctions.Expected, target));
    }
}
