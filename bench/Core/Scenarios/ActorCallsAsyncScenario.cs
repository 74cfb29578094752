using System.Diagnostics;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Core.Scenarios;

/// <summary>The shape of Ray's "1:1 actor calls async": the driver submits many calls to one actor without awaiting,
/// then gets them all; calls per second. The actor counts its calls, so a run also checks that the calls of one caller
/// ran in submission order. Subclasses choose the driver.</summary>
internal abstract class ActorCallsAsyncScenario : ActorScenario
{
    /// <summary>Calls of one run (a tenth with --quick).</summary>
    protected abstract int CallsPerRun { get; }

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var (ray, actor) = (Driver, Actor);
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
}
