using OrleansRay.Bench.Core.Scenarios;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Connected;

/// <summary>"1:1 actor calls sync" from a connected driver: one call to the actor in the node process through the
/// gateway, get its result, repeat.</summary>
internal sealed class ConnectedActorCallsSync : ActorCallsSyncScenario
{
    public override string Name => "connected 1:1 actor calls sync";

    public override string Group => "connected";

    public override int Warmups => ConnectedDriver.Warmups;

    public override TimeSpan WarmupTime => ConnectedDriver.RoundTripWarmupTime;

    protected override Task<IRay> DriverAsync(BenchEnvironment environment) => OneNodeProcessCluster.DriverAsync(environment);
}
