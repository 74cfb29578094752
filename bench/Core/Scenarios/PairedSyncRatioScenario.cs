using OrleansRay.Bench.Baselines;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Core.Scenarios;

/// <summary>A sync ratio of issue 18 measured in pairs: one loop alternates short slices of a round trip of ours (a
/// task, or an actor call) and of its baseline, and a run's figure is our rate over the baseline's across its slices
/// (unit "×"). Both rates are reported beside it. The baseline is the like-for-like raw Orleans call, or for the
/// scheduler-control rows a loop that only computes (<see cref="CpuBoundLoop"/>).</summary>
/// <remarks>Separate rows measure each side in its own seconds, minutes apart; on a shared 2-vCPU host their rates
/// drift by a factor of up to 2 between rows (2026-12-03: a grain baseline gave 3,931–6,147/s within 40 minutes;
/// 2026-12-04: raw stateless worker sync gave 207,217/s on a quiet machine and 225,012–326,523/s under two CPU
/// burners), so a ratio of two rows carries both drifts. Slices of 100 ms (20 ms with --quick), ten of each side per
/// run in the order A B B A A B ..., put both sides in the same seconds; what is left is the noise within them.</remarks>
internal abstract class PairedSyncRatioScenario : ActorScenario
{
    /// <summary>Slices of each side per run.</summary>
    private const int Pairs = 10;

    public override string Unit => "×";

    /// <summary>At least 10 s of unrecorded runs: both sides' code is still being compiled (tier 0, instrumented, tier 1)
    /// in the first seconds, and with two CPU burners the compiler thread still took a quarter of the process' CPU 4–6 s
    /// in (2026-12-04), which measured the compiler rather than the round trip.</summary>
    public override TimeSpan WarmupTime => TimeSpan.FromSeconds(10);

    /// <summary>One round trip of our side; returns <see cref="BenchFunctions.Expected"/>.</summary>
    protected abstract ValueTask<int> RoundTripAsync();

    /// <summary>The baseline side: measures its rate (/s) over one slice of the given length. For the raw Orleans
    /// baselines a sequential loop of an echo call (<see cref="RawCalls.Sequential"/>); for the scheduler control,
    /// <see cref="CpuBoundLoop.SequentialAsync"/>.</summary>
    protected abstract Task<Func<TimeSpan, Task<double>>> BaselineRateAsync(BenchEnvironment environment);

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var slice = Measure.Target(environment) / Pairs;
        var baselineRate = await BaselineRateAsync(environment);
        return await Measure.GuardAsync(Name, async () =>
        {
            double ours = 0, baseline = 0;
            for (var i = 0; i < Pairs; i++)
            {
                // Alternate which side goes first, so a trend within the run weighs on both alike.
                if (i % 2 == 0)
                {
                    ours += await Measure.SequentialRateAsync(Name, RoundTripAsync, BenchFunctions.Expected, slice);
                    baseline += await baselineRate(slice);
                }
                else
                {
                    baseline += await baselineRate(slice);
                    ours += await Measure.SequentialRateAsync(Name, RoundTripAsync, BenchFunctions.Expected, slice);
                }
            }

            run.Report($"{Name}: ours", ours / Pairs, "/s");
            run.Report($"{Name}: baseline", baseline / Pairs, "/s");
            return ours / baseline;
        });
    }
}
