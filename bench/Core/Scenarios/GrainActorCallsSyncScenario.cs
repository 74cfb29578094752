using OrleansRay.Bench.Baselines;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Core.Scenarios;

/// <summary>One actor behind a grain interface called sequentially through its proxy, each call awaited before the
/// next, for about a second; calls per second. The loop is the raw Orleans baselines' (<see cref="RawCalls.SequentialAsync"/>),
/// so the figure compares with "raw orleans grain calls sync" call for call. Subclasses choose the driver.</summary>
internal abstract class GrainActorCallsSyncScenario : GrainActorScenario
{
    protected sealed override int ActorCount => 1;

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var actor = Actors[0];
        var target = Measure.Target(environment);
        return await Measure.GuardAsync(Name, () => RawCalls.SequentialAsync(actor.Echo, target));
    }
}
