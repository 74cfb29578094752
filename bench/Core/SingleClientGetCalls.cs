using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Core;

/// <summary>Ray's "single client get calls (Plasma Store)": <c>ray.get</c> of one small put object, repeatedly.</summary>
internal sealed class SingleClientGetCalls : Benchmark
{
    private ObjectRef<int>? _value;

    public override string Name => "single client get calls";

    public override string Unit => "/s";

    public override string Group => "objects";

    public override async Task SetupAsync(BenchEnvironment environment)
    {
        var ray = await RayCluster.DriverAsync(environment);
        _value = await ray.PutAsync(BenchFunctions.Expected).AsTask().WaitAsync(Measure.StartTimeout);
    }

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var ray = await RayCluster.DriverAsync(environment);
        var value = _value!;
        var target = Measure.Target(environment);
        return await Measure.GuardAsync(Name, () => Measure.SequentialRateAsync(Name, () => ray.GetAsync(value), BenchFunctions.Expected, target));
    }
}
