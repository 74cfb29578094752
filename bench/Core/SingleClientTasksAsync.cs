using OrleansRay.Bench.Core.Scenarios;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Core;

/// <summary>Ray's "single client tasks async": submit many trivial tasks without awaiting, then get them all.</summary>
/// <remarks>Ray submits 1,000 per <c>ray.get</c>; here one run submits 300,000 (30,000 with --quick) and then gets them
/// all, so the figure is the driver's sustained submit-to-result throughput with a deep queue.</remarks>
internal sealed class SingleClientTasksAsync : TasksAsyncScenario
{
    public override string Name => "single client tasks async";

    public override string Group => "tasks";

    protected override int TasksPerRun => 300_000;

    protected override bool TasksRunInThisProcess => true;

    protected override Task<IRay> DriverAsync(BenchEnvironment environment) => RayCluster.DriverAsync(environment);
}
