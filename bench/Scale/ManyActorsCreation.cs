using System.Diagnostics;
using OrleansRay.Bench.Core;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Scale;

/// <summary>Ray's "many actors" release test: create 10,000 actors and wait until each is ready (its first call answered);
/// actors per second from the first creation to the last answer. Ray's figure: 551/s (release benchmarks, a 64-node
/// cluster); issue 18's goal: ≥ 10,000/s.</summary>
/// <remarks>On the run's embedded node (<see cref="RayCluster"/>); the actors are <see cref="BenchActor"/>s with Ray's
/// default of 0 CPUs, created without awaiting, then one call each submitted and all answers got at once. Every actor is
/// killed after the run (not timed), also when the run fails. With --quick: 1,000 actors.</remarks>
internal sealed class ManyActorsCreation : Benchmark
{
    private const int Actors = 10_000;

    public override string Name => "many actors creation";

    public override string Unit => "/s";

    public override string Group => "scale";

    public override int Runs => 3;

    /// <summary>10 s of unrecorded runs (about five): Orleans' activation path and the actor's are long, and tiered
    /// compilation was still at 0.35–0.65 s of JIT per second through the recorded runs after one warm-up run
    /// (<c>dotnet-counters</c>, 2026-12-02). A run leaves its 10,000 dead actors' rows in the actor table (about 6 MiB of
    /// managed heap; the table keeps at most 100,000), no activations.</summary>
    public override TimeSpan WarmupTime => TimeSpan.FromSeconds(10);

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var ray = await RayCluster.DriverAsync(environment);
        var count = Measure.Count(environment, Actors);
        var actors = new ActorHandle<BenchActor>?[count];
        try
        {
            return await ScalePeak.MeasureAsync(Name, run, async () =>
            {
                var stopwatch = Stopwatch.StartNew();
                for (var i = 0; i < count; i++)
                {
                    actors[i] = ray.Actor(() => new BenchActor()).Remote();
                }

                var firstCalls = new ObjectRef<int>[count];
                for (var i = 0; i < count; i++)
                {
                    firstCalls[i] = actors[i]!.Task(static a => a.SmallValue()).Remote();
                }

                var values = await ray.GetAsync(firstCalls);
                var elapsed = stopwatch.Elapsed;
                Measure.CheckAllExpected(Name, values, count);
                return count / elapsed.TotalSeconds;
            });
        }
        finally
        {
            var created = actors.Where(a => a is not null).Select(a => ray.KillAsync(a!)).ToList();
            try
            {
                await Task.WhenAll(created).WaitAsync(Measure.RunTimeout);
            }
            catch (TimeoutException)
            {
                Console.Error.WriteLine($"warning: benchmark \"{Name}\": killing {created.Count} actors took longer than {Measure.RunTimeout.TotalSeconds:F0} s.");
            }
        }
    }
}
