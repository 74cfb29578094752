using OrleansRay.Bench.Core;
using OrleansRay.Bench.Core.Scenarios;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Connected;

/// <summary>"n:n actor calls async" on 3 in-process nodes (<see cref="ThreeInProcessNodes"/>): n = 3 actors and n = 3
/// caller tasks, both placed with <see cref="SchedulingStrategy.Spread"/> (one of each per node), every caller calling
/// the actors round-robin, so two of every three calls go to another node. Submitted by the connected driver.</summary>
/// <remarks>One run makes 3 × 30,000 calls (a tenth with --quick). Setup checks the actors landed on 3 distinct nodes.</remarks>
internal sealed class ThreeNodeNnActorCallsAsync : NnActorCallsAsyncScenario
{
    private static readonly ActorOptions Spread = new() { SchedulingStrategy = SchedulingStrategy.Spread };

    public override string Name => "3-node in-process n:n actor calls async";

    public override string Group => "connected";

    public override int Warmups => ConnectedDriver.Warmups;

    protected override int Callers => ThreeInProcessNodes.NodeCount;

    protected override int Actors => ThreeInProcessNodes.NodeCount;

    protected override int CallsPerCaller => 30_000;

    protected override ActorOptions? ActorOptions => Spread;

    protected override TaskOptions? CallerOptions => new() { SchedulingStrategy = SchedulingStrategy.Spread };

    protected override Task<IRay> DriverAsync(BenchEnvironment environment) => ThreeInProcessNodes.DriverAsync(environment);

    protected override async Task CheckPlacementAsync(IRay ray, IReadOnlyList<ActorHandle<BenchActor>> actors)
    {
        var nodes = await ray.GetAsync(actors.Select(a => a.Task(static x => x.Node()).Remote()));
        if (nodes.Distinct().Count() != ThreeInProcessNodes.NodeCount)
        {
            throw new InvalidOperationException($"Benchmark \"{Name}\": the SPREAD actors landed on {string.Join(", ", nodes)}, not on {ThreeInProcessNodes.NodeCount} distinct nodes.");
        }
    }
}
