using OrleansRay.Bench.Baselines;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Core.Scenarios;

/// <summary>Many calls in flight to actors behind grain interfaces, shaped exactly as "raw orleans grain calls async":
/// 1,000 actors, one call always in flight to each (<see cref="RawCalls.InFlightAsync"/>), for about a second; calls per
/// second. Subclasses choose the driver.</summary>
/// <remarks>The raw row spreads its calls over 1,000 grains, so this one does too: one actor takes one call at a time,
/// and 1,000 calls queued at a single actor would measure that actor's turn-taking, not the cost of a call.</remarks>
internal abstract class GrainActorCallsAsyncScenario : GrainActorScenario
{
    /// <summary>Calls outstanding at any time, one per actor: as the raw baseline.</summary>
    private const int InFlight = 1_000;

    protected sealed override int ActorCount => InFlight;

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var actors = Actors;
        var target = Measure.Target(environment);
        return await Measure.GuardAsync(Name, () => RawCalls.InFlightAsync((loop, value) => actors[loop].Echo(value), InFlight, target));
    }
}
