using OrleansRay.Bench.Baselines;
using OrleansRay.Bench.Core.Scenarios;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Core;

/// <summary>The embedded driver's sync task round trip, paired with a baseline (<see cref="PairedSyncRatioScenario"/>).</summary>
internal abstract class EmbeddedTasksSyncPaired : PairedSyncRatioScenario
{
    public override string Group => "tasks";

    protected override Task<IRay> DriverAsync(BenchEnvironment environment) => RayCluster.DriverAsync(environment);

    protected override ValueTask<int> RoundTripAsync() => Driver.GetAsync(Driver.Task(BenchFunctions.SmallValue).Remote());
}

/// <summary>The embedded driver's sync call to one class actor, paired with a baseline (<see cref="PairedSyncRatioScenario"/>).</summary>
internal abstract class EmbeddedActorCallsSyncPaired : PairedSyncRatioScenario
{
    public override string Group => "actors";

    protected override Task<IRay> DriverAsync(BenchEnvironment environment) => RayCluster.DriverAsync(environment);

    protected override ValueTask<int> RoundTripAsync() => Driver.GetAsync(Actor.Task(static a => a.SmallValue()).Remote());
}

/// <summary>"single client tasks sync" over "raw orleans stateless worker calls sync", paired: the embedded driver's task
/// round trip against a <c>[StatelessWorker]</c> grain call on the raw silo in the same process.</summary>
internal sealed class TasksSyncRatio : EmbeddedTasksSyncPaired
{
    public override string Name => "single client tasks sync ratio, paired";

    protected override async Task<Func<TimeSpan, Task<double>>> BaselineRateAsync(BenchEnvironment environment)
    {
        var grains = await RawOrleansSilo.GrainsAsync(environment);
        return RawCalls.Sequential(grains.GetGrain<IStatelessEchoGrain>(0).Echo);
    }
}

/// <summary>"1:1 actor calls sync" over "raw orleans grain calls sync", paired: the embedded driver's call to one class
/// actor against a plain grain call on the raw silo in the same process.</summary>
internal sealed class ActorCallsSyncRatio : EmbeddedActorCallsSyncPaired
{
    public override string Name => "1:1 actor calls sync ratio, paired";

    protected override async Task<Func<TimeSpan, Task<double>>> BaselineRateAsync(BenchEnvironment environment)
    {
        var grains = await RawOrleansSilo.GrainsAsync(environment);
        return RawCalls.Sequential(grains.GetGrain<IEchoGrain>(0).Echo);
    }
}

/// <summary>"single client tasks sync" over <see cref="CpuBoundLoop"/>, paired: the scheduler control of the busy point.
/// Quiet and under two CPU burners this ratio should stay put if our sync loop loses to the burners only the share the
/// kernel takes from any one always-runnable thread; it falls if our hand-offs or collections cost more under load.
/// The ratio's level means nothing by itself (the loop's operation is an arbitrary 256 xorshift rounds).</summary>
internal sealed class TasksSyncOverCpuBoundLoop : EmbeddedTasksSyncPaired
{
    public override string Name => "single client tasks sync over a cpu-bound loop, paired";

    protected override Task<Func<TimeSpan, Task<double>>> BaselineRateAsync(BenchEnvironment environment) =>
        Task.FromResult<Func<TimeSpan, Task<double>>>(CpuBoundLoop.SequentialAsync);
}

/// <summary>"1:1 actor calls sync" over <see cref="CpuBoundLoop"/>, paired: the actor side of the scheduler control
/// (<see cref="TasksSyncOverCpuBoundLoop"/>).</summary>
internal sealed class ActorCallsSyncOverCpuBoundLoop : EmbeddedActorCallsSyncPaired
{
    public override string Name => "1:1 actor calls sync over a cpu-bound loop, paired";

    protected override Task<Func<TimeSpan, Task<double>>> BaselineRateAsync(BenchEnvironment environment) =>
        Task.FromResult<Func<TimeSpan, Task<double>>>(CpuBoundLoop.SequentialAsync);
}
