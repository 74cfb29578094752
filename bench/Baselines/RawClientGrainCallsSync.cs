using OrleansRay.Bench.Core;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Baselines;

/// <summary>Raw Orleans baseline of the connected "sync" figures: one plain grain called sequentially by an Orleans
/// client through the silo's gateway (one request and one response over loopback TCP per call).</summary>
internal sealed class RawClientGrainCallsSync : Benchmark
{
    public override string Name => "raw orleans client grain calls sync";

    public override string Unit => "/s";

    public override string Group => "baseline";

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var grains = await RawOrleansClient.GrainsAsync(environment);
        var target = Measure.Target(environment);
        var grain = grains.GetGrain<IEchoGrain>(0);
        return await Measure.GuardAsync(Name, () => RawCalls.SequentialAsync(grain.Echo, target));
    }
}
