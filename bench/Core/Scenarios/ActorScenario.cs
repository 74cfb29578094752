using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Core.Scenarios;

/// <summary>The 1:1 actor benchmarks' common part: one <see cref="BenchActor"/> created at setup by the driver a
/// subclass chooses, and killed at cleanup.</summary>
internal abstract class ActorScenario : Benchmark
{
    public override string Unit => "/s";

    /// <summary>The driver, once set up.</summary>
    protected IRay Driver { get; private set; } = null!;

    /// <summary>The actor, once set up.</summary>
    protected ActorHandle<BenchActor> Actor { get; private set; } = null!;

    /// <summary>The driver that creates the actor and calls it.</summary>
    protected abstract Task<IRay> DriverAsync(BenchEnvironment environment);

    public override async Task SetupAsync(BenchEnvironment environment)
    {
        Driver = await DriverAsync(environment);
        Actor = await BenchActors.CreateAsync(Driver, Name);
    }

    public override Task CleanupAsync() => BenchActors.KillAsync(Driver, Name, Actor);
}
