using OrleansRay.Bench.Baselines;
using OrleansRay.Bench.Core.Scenarios;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Core;

/// <summary>Bytes the process allocates per synchronous call to an actor behind a grain interface (await one call of the
/// proxy), from <see cref="GC.GetTotalAllocatedBytes(bool)"/> deltas over 2,000 calls (200 with --quick).</summary>
/// <remarks>The driver and the actor's node share the process (embedded cluster), so both sides count. Compare with
/// "allocated bytes per orleans grain call on an orleansray node": the difference is what the actor's order stamp and
/// admission cost per call.</remarks>
internal sealed class AllocatedBytesPerGrainActorCall : GrainActorScenario
{
    public override string Name => "allocated bytes per grain actor call";

    public override string Unit => "B";

    public override string Group => "actors";

    protected override int ActorCount => 1;

    protected override Task<IRay> DriverAsync(BenchEnvironment environment) => RayCluster.DriverAsync(environment);

    public override Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var actor = Actors[0];
        return AllocatedBytes.PerCallAsync(environment, Name, () => actor.Echo(1));
    }
}

/// <summary>Bytes the process allocates per synchronous call to a plain grain hosted by the embedded OrleansRay node
/// (the baseline of "allocated bytes per grain actor call").</summary>
internal sealed class AllocatedBytesPerNodeGrainCall : Benchmark
{
    public override string Name => "allocated bytes per orleans grain call on an orleansray node";

    public override string Unit => "B";

    public override string Group => "baseline";

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var ray = await RayCluster.DriverAsync(environment);
        var grain = ray.GrainFactory.GetGrain<IEchoGrain>(1);
        return await AllocatedBytes.PerCallAsync(environment, Name, () => grain.Echo(1));
    }
}

/// <summary>Bytes the process allocates per synchronous call to a plain grain on a bare Orleans silo in this process (no
/// OrleansRay): the floor under the two rows above.</summary>
internal sealed class AllocatedBytesPerRawGrainCall : Benchmark
{
    public override string Name => "allocated bytes per raw orleans grain call";

    public override string Unit => "B";

    public override string Group => "baseline";

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var grains = await RawOrleansSilo.GrainsAsync(environment);
        var grain = grains.GetGrain<IEchoGrain>(0);
        return await AllocatedBytes.PerCallAsync(environment, Name, () => grain.Echo(1));
    }
}
