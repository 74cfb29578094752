using OrleansRay.Bench.Core;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Connected;

/// <summary>Bytes a connected driver's process allocates per synchronous task sent to a node process (submit one
/// trivial task, get its result), from <see cref="GC.GetTotalAllocatedBytes(bool)"/> deltas over 2,000 tasks (200 with
/// --quick): the driver's side of "connected single client tasks sync" (the submit, the task channel's frames both ways,
/// the reply's result), without the node's.</summary>
internal sealed class ConnectedAllocatedBytesPerTask : Benchmark
{
    public override string Name => "allocated bytes per connected task";

    public override string Unit => "B";

    public override string Group => "connected";

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var ray = await OneNodeProcessCluster.DriverAsync(environment);
        return await AllocatedBytes.PerCallAsync(environment, Name, async () => await ray.GetAsync(ray.Task(BenchFunctions.SmallValue).Remote()));
    }
}
