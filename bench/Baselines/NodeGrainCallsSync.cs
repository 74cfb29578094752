using OrleansRay.Bench.Core;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Baselines;

/// <summary>The raw baseline's plain grain, hosted by the embedded OrleansRay node instead of a bare silo and called
/// through <c>ray.GrainFactory</c>: what the OrleansRay silo's configuration costs an ordinary grain call, apart from
/// anything actors add ("1:1 grain actor calls sync" runs on this same node).</summary>
internal sealed class NodeGrainCallsSync : Benchmark
{
    public override string Name => "orleans grain calls sync on an orleansray node";

    public override string Unit => "/s";

    public override string Group => "baseline";

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var ray = await RayCluster.DriverAsync(environment);
        var target = Measure.Target(environment);
        var grain = ray.GrainFactory.GetGrain<IEchoGrain>(1);
        return await Measure.GuardAsync(Name, () => RawCalls.SequentialAsync(grain.Echo, target));
    }
}
