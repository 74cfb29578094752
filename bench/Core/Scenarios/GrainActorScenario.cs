using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Core.Scenarios;

/// <summary>The grain actor benchmarks' common part: <see cref="ActorCount"/> <see cref="IBenchGrainActor"/>s created at
/// setup by the driver a subclass chooses, called through their Orleans proxies, and killed at cleanup.</summary>
internal abstract class GrainActorScenario : Benchmark
{
    public override string Unit => "/s";

    /// <summary>The driver, once set up.</summary>
    protected IRay Driver { get; private set; } = null!;

    /// <summary>The actors' proxies, once set up.</summary>
    protected IBenchGrainActor[] Actors { get; private set; } = [];

    /// <summary>Actors created at setup.</summary>
    protected abstract int ActorCount { get; }

    /// <summary>The driver that creates the actors and calls them.</summary>
    protected abstract Task<IRay> DriverAsync(BenchEnvironment environment);

    public override async Task SetupAsync(BenchEnvironment environment)
    {
        Driver = await DriverAsync(environment);
        Actors = await BenchGrainActors.CreateAsync(Driver, Name, ActorCount);
    }

    public override Task CleanupAsync() => BenchGrainActors.KillAsync(Driver, Name, Actors);
}
