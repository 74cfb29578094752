using OrleansRay.Bench.Core.Scenarios;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Connected;

/// <summary>"single client tasks async" from a connected driver: the driver (an Orleans client in this process) submits
/// trivial tasks to a 1-node cluster whose node is a separate <c>orleansray</c> process, without awaiting, then gets them
/// all. Ray's own microbenchmark runs this way (a driver beside a raylet and workers).</summary>
/// <remarks>The driver runs nothing: every task crosses the gateway to the node and its result comes back. One run
/// submits 100,000 tasks (10,000 with --quick).</remarks>
internal sealed class ConnectedTasksAsync : TasksAsyncScenario
{
    public override string Name => "connected single client tasks async";

    public override string Group => "connected";

    public override int Warmups => ConnectedDriver.Warmups;

    protected override int TasksPerRun => 100_000;

    protected override bool TasksRunInThisProcess => false;

    protected override Task<IRay> DriverAsync(BenchEnvironment environment) => OneNodeProcessCluster.DriverAsync(environment);
}
