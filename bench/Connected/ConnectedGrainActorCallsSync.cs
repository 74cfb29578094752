using OrleansRay.Bench.Core.Scenarios;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Connected;

/// <summary>"1:1 grain actor calls sync" from a connected driver: the actor lives in the node process, which loaded the
/// bench assembly (and so the actor's grain class) at start; one call through the gateway at a time. Its baseline is
/// "raw orleans client grain calls sync".</summary>
internal sealed class ConnectedGrainActorCallsSync : GrainActorCallsSyncScenario
{
    public override string Name => "connected 1:1 grain actor calls sync";

    public override string Group => "connected";

    public override int Warmups => ConnectedDriver.Warmups;

    public override TimeSpan WarmupTime => ConnectedDriver.RoundTripWarmupTime;

    protected override Task<IRay> DriverAsync(BenchEnvironment environment) => OneNodeProcessCluster.DriverAsync(environment);
}
