using OrleansRay.Bench.Core;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Baselines;

/// <summary>Raw Orleans baseline: 1,000 plain grains, one call in flight to each (1,000 in flight), in-process.</summary>
internal sealed class RawGrainCallsAsync : Benchmark
{
    /// <summary>Calls outstanding at any time.</summary>
    private const int InFlight = 1_000;

    public override string Name => "raw orleans grain calls async";

    public override string Unit => "/s";

    public override string Group => "baseline";

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var grains = await RawOrleansSilo.GrainsAsync(environment);
        var target = Measure.Target(environment);
        return await Measure.GuardAsync(Name, () => RawCalls.EchoInFlightAsync(grains, InFlight, target));
    }
}
