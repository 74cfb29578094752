using OrleansRay.Bench.Core.Scenarios;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Connected;

/// <summary>"1:1 grain actor calls async" from a connected driver: 1,000 actors in the node process, one call in flight
/// to each through the gateway. Its baseline is "raw orleans client grain calls async" (the same shape).</summary>
internal sealed class ConnectedGrainActorCallsAsync : GrainActorCallsAsyncScenario
{
    public override string Name => "connected 1:1 grain actor calls async";

    public override string Group => "connected";

    public override int Warmups => ConnectedDriver.Warmups;

    protected override Task<IRay> DriverAsync(BenchEnvironment environment) => OneNodeProcessCluster.DriverAsync(environment);
}
