using OrleansRay.Bench.Core;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Baselines;

/// <summary>Raw Orleans baseline of the connected "async" figures: 1,000 plain grains, one call in flight to each,
/// from an Orleans client through the silo's gateway.</summary>
internal sealed class RawClientGrainCallsAsync : Benchmark
{
    /// <summary>Calls outstanding at any time.</summary>
    private const int InFlight = 1_000;

    public override string Name => "raw orleans client grain calls async";

    public override string Unit => "/s";

    public override string Group => "baseline";

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var grains = await RawOrleansClient.GrainsAsync(environment);
        var target = Measure.Target(environment);
        return await Measure.GuardAsync(Name, () => RawCalls.EchoInFlightAsync(grains, InFlight, target));
    }
}
