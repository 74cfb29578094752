using OrleansRay.Bench.Core;
using OrleansRay.Bench.Core.Scenarios;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Connected;

/// <summary>"single client tasks async" with <see cref="SchedulingStrategy.Spread"/> on 3 in-process nodes
/// (<see cref="ThreeInProcessNodes"/>): the connected driver submits trivial tasks round-robin over the nodes without
/// awaiting, then gets them all.</summary>
/// <remarks>One run submits 100,000 tasks (10,000 with --quick). The nodes run in this process, so the run also checks
/// each task ran exactly once; setup checks that SPREAD tasks reach all 3 nodes.</remarks>
internal sealed class ThreeNodeTasksAsyncSpread : TasksAsyncScenario
{
    private static readonly TaskOptions Spread = new() { SchedulingStrategy = SchedulingStrategy.Spread };

    public override string Name => "3-node in-process tasks async spread";

    public override string Group => "connected";

    public override int Warmups => ConnectedDriver.Warmups;

    protected override int TasksPerRun => 100_000;

    protected override TaskOptions? TaskOptions => Spread;

    protected override bool TasksRunInThisProcess => true;

    protected override Task<IRay> DriverAsync(BenchEnvironment environment) => ThreeInProcessNodes.DriverAsync(environment);

    public override async Task SetupAsync(BenchEnvironment environment)
    {
        var ray = await DriverAsync(environment);
        var probes = Enumerable.Range(0, 3 * ThreeInProcessNodes.NodeCount).Select(_ => ray.Task(BenchFunctions.NodeOf).Options(Spread).Remote());
        var nodes = await ray.GetAsync(probes).WaitAsync(Measure.StartTimeout);
        if (nodes.Distinct().Count() != ThreeInProcessNodes.NodeCount)
        {
            throw new InvalidOperationException($"Benchmark \"{Name}\": SPREAD tasks ran on {string.Join(", ", nodes.Distinct())}, not on {ThreeInProcessNodes.NodeCount} distinct nodes.");
        }
    }
}
