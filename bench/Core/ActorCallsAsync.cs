using OrleansRay.Bench.Core.Scenarios;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Core;

/// <summary>Ray's "1:1 actor calls async": the driver submits many calls to one actor without awaiting, then gets them all.</summary>
/// <remarks>Ray submits 1,000 per <c>ray.get</c>; one run here submits 250,000 (25,000 with --quick). The actor
/// counts its calls, so the run also checks that calls of one caller ran in submission order.</remarks>
internal sealed class ActorCallsAsync : ActorCallsAsyncScenario
{
    public override string Name => "1:1 actor calls async";

    public override string Group => "actors";

    protected override int CallsPerRun => 250_000;

    protected override Task<IRay> DriverAsync(BenchEnvironment environment) => RayCluster.DriverAsync(environment);
}
