using System.Diagnostics;
using OrleansRay.Bench.Core;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Scale;

/// <summary>Ray's microbenchmark "single client wait 1k refs": submit 1,000 trivial tasks, then call <c>wait</c> on the
/// refs not yet returned, one ready ref at a time, until none is left (1,000 wait calls, the first over all 1,000 refs);
/// repeated for about a second; rounds per second. Ray's figure: 5.1/s; issue 18's goal: ≥ 500/s.</summary>
/// <remarks>On the run's embedded node (<see cref="RayCluster"/>), with <c>IRay.WaitAsync(notReady, numReturns: 1)</c>
/// as Ray's <c>ray.wait(not_ready)</c>. A round counts as Ray counts it (its timeit's one call); the wait calls per
/// second (1,000 per round) are printed beside the figure. Each round checks every wait returned exactly one ready ref
/// and each task ran once.</remarks>
internal sealed class WaitThousandRefs : Benchmark
{
    private const int Refs = 1_000;

    public override string Name => "wait 1,000 refs";

    public override string Unit => "/s";

    public override string Group => "scale";

    public override int Runs => 3;

    /// <summary>5 s of unrecorded rounds first: run alone, the row's own code (the wait's first look, its slices) is
    /// still being compiled to its final tier over its first seconds, and the recorded runs rose from 148,795 to 518,374
    /// wait calls/s one after the other (2026-12-04) with the default single warm-up run.</summary>
    public override TimeSpan WarmupTime => TimeSpan.FromSeconds(5);

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var ray = await RayCluster.DriverAsync(environment);
        var target = Measure.Target(environment);
        long waits = 0;
        var seconds = 0.0;
        var rate = await ScalePeak.MeasureAsync(Name, run, async () =>
        {
            long rounds = 0;
            var executions = BenchFunctions.Executions;
            var stopwatch = Stopwatch.StartNew();
            do
            {
                var submitted = new ObjectRef<int>[Refs];
                for (var i = 0; i < Refs; i++)
                {
                    submitted[i] = ray.Task(BenchFunctions.SmallValue).Remote();
                }

                IReadOnlyList<ObjectRef<int>> notReady = submitted;
                while (notReady.Count > 0)
                {
                    var result = await ray.WaitAsync(notReady, numReturns: 1);
                    if (result.Ready.Count != 1 || result.NotReady.Count != notReady.Count - 1)
                    {
                        throw new InvalidOperationException($"Benchmark \"{Name}\": a wait for 1 of {notReady.Count} refs returned {result.Ready.Count} ready and {result.NotReady.Count} not ready.");
                    }

                    notReady = result.NotReady;
                    waits++;
                }

                rounds++;
            }
            while (stopwatch.Elapsed < target);

            seconds = stopwatch.Elapsed.TotalSeconds;
            Measure.CheckExecutions(Name, executions, checked((int)(rounds * Refs)));
            return rounds / seconds;
        });
        Console.Error.Write($"[{waits / seconds:N0} wait calls/s] ");
        return rate;
    }
}
