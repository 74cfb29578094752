using OrleansRay.Bench.Baselines;
using OrleansRay.Bench.Core;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Connected;

/// <summary>The like-for-like baseline of the connected sync figures: the connected driver's own Orleans client
/// (<c>ray.GrainFactory</c>) calls the raw baseline's plain grain, hosted by the node process (which loaded the bench
/// assembly), one call at a time. The same process boundary, gateway connection and TLS as a connected task or actor
/// call, with nothing OrleansRay adds on either side.</summary>
/// <remarks>"raw orleans client grain calls sync" calls a bare silo in the bench's own process over plain TCP: no
/// second process and no TLS, so it is the cheaper floor of the two.</remarks>
internal sealed class ConnectedNodeGrainCallsSync : Benchmark
{
    public override string Name => "connected orleans grain calls sync on a node process";

    public override string Unit => "/s";

    public override string Group => "connected";

    public override int Warmups => ConnectedDriver.Warmups;

    public override TimeSpan WarmupTime => ConnectedDriver.RoundTripWarmupTime;

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var ray = await OneNodeProcessCluster.DriverAsync(environment);
        var target = Measure.Target(environment);
        var grain = ray.GrainFactory.GetGrain<IEchoGrain>(2);
        return await Measure.GuardAsync(Name, () => RawCalls.SequentialAsync(grain.Echo, target));
    }
}
