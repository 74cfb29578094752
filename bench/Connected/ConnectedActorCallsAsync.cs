using OrleansRay.Bench.Core.Scenarios;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Connected;

/// <summary>"1:1 actor calls async" from a connected driver: the actor lives in the node process, the driver submits
/// calls through the gateway without awaiting, then gets them all (and checks they ran in submission order). One run
/// makes 100,000 calls (10,000 with --quick).</summary>
internal sealed class ConnectedActorCallsAsync : ActorCallsAsyncScenario
{
    public override string Name => "connected 1:1 actor calls async";

    public override string Group => "connected";

    public override int Warmups => ConnectedDriver.Warmups;

    protected override int CallsPerRun => 100_000;

    protected override Task<IRay> DriverAsync(BenchEnvironment environment) => OneNodeProcessCluster.DriverAsync(environment);
}
