using OrleansRay.Bench.Core.Scenarios;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Core;

/// <summary>Actors behind grain interfaces called by the embedded driver with 1,000 calls in flight (one to each of
/// 1,000 actors). Its baseline is "raw orleans grain calls async" (a plain silo in this process, the same shape).</summary>
internal sealed class GrainActorCallsAsync : GrainActorCallsAsyncScenario
{
    public override string Name => "1:1 grain actor calls async";

    public override string Group => "actors";

    protected override Task<IRay> DriverAsync(BenchEnvironment environment) => RayCluster.DriverAsync(environment);
}
