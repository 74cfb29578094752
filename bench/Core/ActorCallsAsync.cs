using System.Diagnostics;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Core;

/// <summary>Ray's "1:1 actor calls async": the driver submits many calls to one actor without awaiting, then gets them all.</summary>
/// <remarks>Ray submits 1,000 per <c>ray.get</c>; one run here submits 250,000 (25,000 with --quick). The actor
/// counts its calls, so the run also checks that calls of one caller ran in submission order.</remarks>
internal sealed class ActorCallsAsync : Benchmark
{
    private const int CallsPerRun = 250_000;
    private IRay? _ray;
    private ActorHandle<BenchActor>? _actor;

    public override string Name => "1:1 actor calls async";

    public override string Unit => "/s";

    public override string Group => "actors";

    public override async Task SetupAsync(BenchEnvironment environment)
    {
        _ray = await RayCluster.DriverAsync(environment);
        _actor = await BenchActors.CreateAsync(_ray, Name);
    }

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var (ray, actor) = (_ray!, _actor!);
        var count = Measure.Count(environment, CallsPerRun);
        return await Measure.GuardAsync(Name, async () =>
        {
            var refs = new ObjectRef<int>[count];
            var stopwatch = Stopwatch.StartNew();
            for (var i = 0; i < count; i++)
            {
                refs[i] = actor.Task(static a => a.Next()).Remote();
            }

            var values = await ray.GetAsync(refs);
            var elapsed = stopwatch.Elapsed;
            for (var i = 1; i < values.Length; i++)
            {
                if (values[i] != values[i - 1] + 1)
                {
                    throw new InvalidOperationException($"Benchmark \"{Name}\": call {i} returned {values[i]} after {values[i - 1]}; calls of one caller ran out of order.");
                }
            }

            return count / elapsed.TotalSeconds;
        });
    }

    public override Task CleanupAsync() => BenchActors.KillAsync(_ray, Name, _actor);
}
