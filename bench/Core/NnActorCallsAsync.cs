using OrleansRay.Bench.Core.Scenarios;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Core;

/// <summary>Ray's "n:n actor calls async": m = 4 tasks each call the actors round-robin without awaiting, then get
/// their results; the driver gets the 4 tasks.</summary>
/// <remarks>Ray's shape exactly: the callers are tasks (not driver loops), the actors are max(1, cores / 2) 0-CPU
/// actors (1 on a 2-core machine, as Ray's <c>cpu_count() // 2</c>). Ray makes 5,000 calls per task; here 75,000
/// (7,500 with --quick) so one run lasts about a second. Counted: actor calls per second.</remarks>
internal sealed class NnActorCallsAsync : NnActorCallsAsyncScenario
{
    public override string Name => "n:n actor calls async";

    public override string Group => "actors";

    protected override int Callers => 4;

    protected override int Actors => Math.Max(1, Environment.ProcessorCount / 2);

    protected override int CallsPerCaller => 75_000;

    protected override Task<IRay> DriverAsync(BenchEnvironment environment) => RayCluster.DriverAsync(environment);
}
