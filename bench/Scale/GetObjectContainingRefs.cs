using OrleansRay.Bench.Core;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Scale;

/// <summary>Ray's microbenchmark "single client get object containing 10k refs": a task puts 10,000 small objects and
/// returns their refs (one object holding 10,000 refs, made once at setup); the driver gets that object repeatedly for
/// about a second; gets per second. Ray's figure: 13.4/s; issue 18's goal: ≥ 130/s.</summary>
/// <remarks>On the run's embedded node (<see cref="RayCluster"/>). Setup checks that all 10,000 inner refs resolve to
/// the value put; each measured get checks it got 10,000 refs. The refs a get returns are left to the garbage collector,
/// as Ray's loop leaves its list. The object is disposed at cleanup. With --quick: 1,000 refs.</remarks>
internal sealed class GetObjectContainingRefs : Benchmark
{
    private const int Refs = 10_000;

    private IRay? _ray;
    private ObjectRef<ObjectRef<int>[]>? _container;
    private int _count;

    public override string Name => "get object containing 10,000 refs";

    public override string Unit => "/s";

    public override string Group => "scale";

    public override int Runs => 3;

    public override async Task SetupAsync(BenchEnvironment environment)
    {
        _ray = await RayCluster.DriverAsync(environment);
        _count = Measure.Count(environment, Refs);
        _container = _ray.Task(ScaleFunctions.PutOnes, _count).Remote();
        try
        {
            var inner = await _ray.GetAsync(_container).AsTask().WaitAsync(Measure.StartTimeout);
            var values = await _ray.GetAsync(inner).WaitAsync(Measure.StartTimeout);
            Measure.CheckAllExpected(Name, values, _count);
        }
        catch
        {
            await CleanupAsync();
            throw;
        }
    }

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var (ray, container) = (_ray!, _container!);
        var target = Measure.Target(environment);
        return await ScalePeak.MeasureAsync(Name, run, () => Measure.SequentialRateAsync(
            Name, async () => (await ray.GetAsync(container)).Length, _count, target));
    }

    public override Task CleanupAsync()
    {
        _container?.Dispose();
        _container = null;
        return Task.CompletedTask;
    }
}
