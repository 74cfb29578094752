using System.Diagnostics;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Core;

/// <summary>Ray's "n:n actor calls async": m = 4 tasks each call the actors round-robin without awaiting, then get
/// their results; the driver gets the 4 tasks.</summary>
/// <remarks>Ray's shape exactly: the callers are tasks (not driver loops), the actors are max(1, cores / 2) 0-CPU
/// actors (1 on a 2-core machine, as Ray's <c>cpu_count() // 2</c>). Ray makes 5,000 calls per task; here 75,000
/// (7,500 with --quick) so one run lasts about a second. Counted: actor calls per second.</remarks>
internal sealed class NnActorCallsAsync : Benchmark
{
    private const int Callers = 4;
    private const int CallsPerCaller = 75_000;
    private IRay? _ray;
    private ActorHandle<BenchActor>[] _actors = Array.Empty<ActorHandle<BenchActor>>();

    public override string Name => "n:n actor calls async";

    public override string Unit => "/s";

    public override string Group => "actors";

    public override async Task SetupAsync(BenchEnvironment environment)
    {
        _ray = await RayCluster.DriverAsync(environment);
        var count = Math.Max(1, Environment.ProcessorCount / 2);
        _actors = new ActorHandle<BenchActor>[count];
        for (var i = 0; i < count; i++)
        {
            _actors[i] = await BenchActors.CreateAsync(_ray, Name);
        }
    }

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var (ray, actors) = (_ray!, _actors);
        var calls = Measure.Count(environment, CallsPerCaller);
        return await Measure.GuardAsync(Name, async () =>
        {
            var callers = new ObjectRef<int>[Callers];
            var stopwatch = Stopwatch.StartNew();
            for (var i = 0; i < Callers; i++)
            {
                callers[i] = ray.Task(BenchFunctions.CallActorsRoundRobin, actors, calls).Remote();
            }

            var answered = await ray.GetAsync(callers);
            var elapsed = stopwatch.Elapsed;
            foreach (var ok in answered)
            {
                if (ok != calls)
                {
                    throw new InvalidOperationException($"Benchmark \"{Name}\": a caller task got {ok} expected answers of {calls}.");
                }
            }

            return (double)Callers * calls / elapsed.TotalSeconds;
        });
    }

    public override Task CleanupAsync() => BenchActors.KillAsync(_ray, Name, _actors);
}
