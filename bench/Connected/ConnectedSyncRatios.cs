using OrleansRay.Bench.Baselines;
using OrleansRay.Bench.Core;
using OrleansRay.Bench.Core.Scenarios;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Connected;

/// <summary>The connected sync ratios of issue 18 measured in pairs (<see cref="PairedSyncRatioScenario"/>): one
/// connected driver alternates slices of its round trip (a task, or an actor call) and of the like-for-like Orleans
/// baseline, its own client's grain call to the same node process (<see cref="ConnectedNodeGrainCallsSync"/>).</summary>
internal abstract class ConnectedSyncRatio : PairedSyncRatioScenario
{
    public override string Group => "connected";

    public override int Warmups => ConnectedDriver.Warmups;

    public override TimeSpan WarmupTime => ConnectedDriver.RoundTripWarmupTime;

    protected override Task<IRay> DriverAsync(BenchEnvironment environment) => OneNodeProcessCluster.DriverAsync(environment);

    protected override Task<Func<TimeSpan, Task<double>>> BaselineRateAsync(BenchEnvironment environment) =>
        Task.FromResult(RawCalls.Sequential(Driver.GrainFactory.GetGrain<IEchoGrain>(2).Echo));
}

/// <summary>"connected single client tasks sync" over "connected orleans grain calls sync on a node process", paired.</summary>
internal sealed class ConnectedTasksSyncRatio : ConnectedSyncRatio
{
    public override string Name => "connected tasks sync ratio, paired";

    protected override ValueTask<int> RoundTripAsync() => Driver.GetAsync(Driver.Task(BenchFunctions.SmallValue).Remote());
}

/// <summary>"connected 1:1 actor calls sync" over "connected orleans grain calls sync on a node process", paired.</summary>
internal sealed class ConnectedActorCallsSyncRatio : ConnectedSyncRatio
{
    public override string Name => "connected 1:1 actor calls sync ratio, paired";

    protected override ValueTask<int> RoundTripAsync() => Driver.GetAsync(Actor.Task(static a => a.SmallValue()).Remote());
}
