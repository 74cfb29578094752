using OrleansRay.Bench.Core.Scenarios;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Core;

/// <summary>"1:1 actor calls sync" with an actor behind a grain interface: the embedded driver awaits one call to the
/// actor's proxy at a time. Its baseline is "raw orleans grain calls sync" (a plain silo in this process).</summary>
internal sealed class GrainActorCallsSync : GrainActorCallsSyncScenario
{
    public override string Name => "1:1 grain actor calls sync";

    public override string Group => "actors";

    protected override Task<IRay> DriverAsync(BenchEnvironment environment) => RayCluster.DriverAsync(environment);
}
