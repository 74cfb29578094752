using OrleansRay.Bench.Core.Scenarios;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Connected;

/// <summary>"single client tasks sync" from a connected driver: submit one trivial task to the node process through the
/// gateway, get its result, repeat. The figure is one round trip driver → node → driver per task.</summary>
internal sealed class ConnectedTasksSync : TasksSyncScenario
{
    public override string Name => "connected single client tasks sync";

    public override string Group => "connected";

    public override int Warmups => ConnectedDriver.Warmups;

    public override TimeSpan WarmupTime => ConnectedDriver.RoundTripWarmupTime;

    protected override Task<IRay> DriverAsync(BenchEnvironment environment) => OneNodeProcessCluster.DriverAsync(environment);
}
