using OrleansRay.Bench.Core.Scenarios;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Core;

/// <summary>Issue 18, point 3: bytes the process allocates per synchronous task (submit one trivial task, get its
/// result), from <see cref="GC.GetTotalAllocatedBytes(bool)"/> deltas over 2,000 calls (200 with --quick).</summary>
/// <remarks>The driver and the node share the process (embedded cluster), so both sides of the call count. Goal: &lt; 1 KiB.</remarks>
internal sealed class AllocatedBytesPerTask : Benchmark
{
    public override string Name => "allocated bytes per task";

    public override string Unit => "B";

    public override string Group => "tasks";

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var ray = await RayCluster.DriverAsync(environment);
        return await AllocatedBytes.PerCallAsync(environment, Name, async () => await ray.GetAsync(ray.Task(BenchFunctions.SmallValue).Remote()));
    }
}

/// <summary>Issue 18, point 3: bytes the process allocates per synchronous 1:1 actor call (call a trivial method, get
/// its result), from <see cref="GC.GetTotalAllocatedBytes(bool)"/> deltas over 2,000 calls (200 with --quick).</summary>
/// <remarks>The driver and the actor's node share the process (embedded cluster), so both sides count. Goal: &lt; 1 KiB.</remarks>
internal sealed class AllocatedBytesPerActorCall : ActorScenario
{
    public override string Name => "allocated bytes per actor call";

    public override string Unit => "B";

    public override string Group => "actors";

    protected override Task<IRay> DriverAsync(BenchEnvironment environment) => RayCluster.DriverAsync(environment);

    public override Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var (ray, actor) = (Driver, Actor);
        return AllocatedBytes.PerCallAsync(environment, Name, async () => await ray.GetAsync(actor.Task(static a => a.SmallValue()).Remote()));
    }
}

internal static class AllocatedBytes
{
    /// <summary>Runs <paramref name="call"/> sequentially and returns the process's allocated bytes per call (every thread).</summary>
    public static async Task<double> PerCallAsync(BenchEnvironment environment, string row, Func<Task> call)
    {
        var count = environment.Quick ? 200 : 2_000;
        for (var i = 0; i < count / 10; i++)
        {
            await call(); // warm: first-call caches, pools and JIT tiers are not per-call costs
        }

        var before = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 0; i < count; i++)
        {
            await call();
        }

        var perCall = (double)(GC.GetTotalAllocatedBytes(precise: true) - before) / count;
        if (AllocationSampler.Calls > 0)
        {
            using var sampler = new AllocationSampler();
            for (var i = 0; i < AllocationSampler.Calls; i++)
            {
                await call();
            }

            sampler.Print(row, AllocationSampler.Calls);
        }

        return perCall;
    }
}
