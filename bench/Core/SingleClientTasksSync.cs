using OrleansRay.Bench.Core.Scenarios;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Core;

/// <summary>Ray's "single client tasks sync": submit one trivial task, get its result, repeat.</summary>
internal sealed class SingleClientTasksSync : TasksSyncScenario
{
    public override string Name => "single client tasks sync";

    public override string Group => "tasks";

    protected override Task<IRay> DriverAsync(BenchEnvironment environment) => RayCluster.DriverAsync(environment);
}
