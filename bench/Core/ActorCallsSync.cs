using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Core;

/// <summary>Ray's "1:1 actor calls sync": the driver calls one actor's trivial method and gets the result, repeatedly.</summary>
internal sealed class ActorCallsSync : Benchmark
{
    private IRay? _ray;
    private ActorHandle<BenchActor>? _actor;

    public override string Name => "1:1 actor calls sync";

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
        var target = Measure.Target(environment);
        return await Measure.GuardAsync(Name, () => Measure.SequentialRateAsync(
            Name, () => ray.GetAsync(actor.Task(static a => a.SmallValue()).Remote()), BenchFunctions.Expected, target));
    }

    public override Task CleanupAsync() => BenchActors.KillAsync(_ray, Name, _actor);
}
