using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Core;

/// <summary>Ray's "single client put calls (Plasma Store)": <c>ray.put(0)</c> repeatedly (the ref is dropped at once).</summary>
internal sealed class SingleClientPutCalls : Benchmark
{
    public override string Name => "single client put calls";

    public override string Unit => "/s";

    public override string Group => "objects";

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var ray = await RayCluster.DriverAsync(environment);
        var target = Measure.Target(environment);
        return await Measure.GuardAsync(Name, () => Measure.SequentialRateAsync(Name, () => PutOnceAsync(ray), true, target));
    }

    private static async ValueTask<bool> PutOnceAsync(IRay ray)
    {
        var objectRef = await ray.PutAsync(0);
        return objectRef is not null;
    }
}
