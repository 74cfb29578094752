using OrleansRay.Bench.Core.Scenarios;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Core;

/// <summary>Ray's "1:1 actor calls sync": the driver calls one actor's trivial method and gets the result, repeatedly.</summary>
internal sealed class ActorCallsSync : ActorCallsSyncScenario
{
    public override string Name => "1:1 actor calls sync";

    public override string Group => "actors";

    protected override Task<IRay> DriverAsync(BenchEnvironment environment) => RayCluster.DriverAsync(environment);
}
