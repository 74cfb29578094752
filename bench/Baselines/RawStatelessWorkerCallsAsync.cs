using OrleansRay.Bench.Core;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Baselines;

/// <summary>Raw Orleans baseline: a <c>[StatelessWorker]</c> grain called with 1,000 calls in flight, in-process.</summary>
internal sealed class RawStatelessWorkerCallsAsync : Benchmark
{
    /// <summary>Calls outstanding at any time.</summary>
    private const int InFlight = 1_000;

    public override string Name => "raw orleans stateless worker calls async";

    public override string Unit => "/s";

    public override string Group => "baseline";

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var grains = await RawOrleansSilo.GrainsAsync(environment);
        var target = Measure.Target(environment);
        var grain = grains.GetGrain<IStatelessEchoGrain>(0);
        return await Measure.GuardAsync(Name, () => RawCalls.InFlightAsync((_, value) => grain.Echo(value), InFlight, target));
    }
}
