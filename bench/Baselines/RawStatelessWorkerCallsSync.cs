using OrleansRay.Bench.Core;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Baselines;

/// <summary>Raw Orleans baseline: a <c>[StatelessWorker]</c> grain called sequentially, in-process.</summary>
internal sealed class RawStatelessWorkerCallsSync : Benchmark
{
    public override string Name => "raw orleans stateless worker calls sync";

    public override string Unit => "/s";

    public override string Group => "baseline";

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var grains = await RawOrleansSilo.GrainsAsync(environment);
        var target = Measure.Target(environment);
        var grain = grains.GetGrain<IStatelessEchoGrain>(0);
        return await Measure.GuardAsync(Name, () => RawCalls.SequentialAsync(grain.Echo, target));
    }
}
