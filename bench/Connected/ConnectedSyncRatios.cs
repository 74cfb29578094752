using OrleansRay.Bench.Baselines;
using OrleansRay.Bench.Core;
using OrleansRay.Bench.Core.Scenarios;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Connected;

/// <summary>The connected sync ratios of issue 18 measured in pairs: one driver alternates short slices of its
/// round trip (a task, or an actor call) and of the like-for-like Orleans baseline (its own client's grain call to the
/// same node process, <see cref="ConnectedNodeGrainCallsSync"/>), and a run's figure is the round trip's rate over
/// the baseline's across its slices.</summary>
/// <remarks>The separate rows measure each side in its own seconds, minutes apart; on a shared 2-vCPU host their
/// rates drift by a factor of up to 2 between rows (2026-12-03: the grain baseline 3,931–6,147/s within 40 minutes), so
/// a ratio of two rows carries both drifts. Slices of 100 ms (20 ms with --quick), ten of each side per run in the
/// order A B B A A B ..., put both sides in the same seconds; what is left is the noise within them.</remarks>
internal abstract class ConnectedSyncRatio : ActorScenario
{
    /// <summary>Slices of each side per run.</summary>
    private const int Pairs = 10;

    public override string Unit => "×";

    public override string Group => "connected";

    public override int Warmups => ConnectedDriver.Warmups;

    public override TimeSpan WarmupTime => ConnectedDriver.RoundTripWarmupTime;

    protected override Task<IRay> DriverAsync(BenchEnvironment environment) => OneNodeProcessCluster.DriverAsync(environment);

    /// <summary>One round trip of the measured side; returns <see cref="BenchFunctions.Expected"/>.</summary>
    protected abstract ValueTask<int> RoundTripAsync();

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var slice = Measure.Target(environment) / Pairs;
        var grain = Driver.GrainFactory.GetGrain<IEchoGrain>(2);
        return await Measure.GuardAsync(Name, async () =>
        {
            double ours = 0, baseline = 0;
            for (var i = 0; i < Pairs; i++)
            {
                // Alternate which side goes first, so a trend within the run weighs on both alike.
                if (i % 2 == 0)
                {
                    ours += await Measure.SequentialRateAsync(Name, RoundTripAsync, BenchFunctions.Expected, slice);
                    baseline += await RawCalls.SequentialAsync(grain.Echo, slice);
                }
                else
                {
                    baseline += await RawCalls.SequentialAsync(grain.Echo, slice);
                    ours += await Measure.SequentialRateAsync(Name, RoundTripAsync, BenchFunctions.Expected, slice);
                }
            }

            run.Report($"{Name}: ours", ours / Pairs, "/s");
            run.Report($"{Name}: baseline", baseline / Pairs, "/s");
            return ours / baseline;
        });
    }
}

/// <summary>"connected single client tasks sync" over "connected orleans grain calls sync on a node process", paired.</summary>
internal sealed class ConnectedTasksSyncRatio : ConnectedSyncRatio
{
    public override string Name => "connected tasks sync ratio, paired";

    protected override ValueTask<int> RoundTripAsync() => Driver.GetAsync(Driver.Task(BenchFunctions.SmallValue).Remote());
}

/// <summary>"connected 1:1 actor calls sync" over "connected orleans grain calls sync on a node process", paired.</summary>
internal sealed class ConnectedActorCallsSyncRatio : ConnectedSyncRatio
{
    public override string Name => "connected 1:1 actor calls sync ratio, paired";

    protected override ValueTask<int> RoundTripAsync() => Driver.GetAsync(Actor.Task(static a => a.SmallValue()).Remote());
}
