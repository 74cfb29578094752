using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.GrainActors;

/// <summary>An actor contract (an <see cref="IActor"/> interface) whose only implementation is a plain
/// <see cref="Grain"/>: <c>CreateActorAsync</c> refuses it, since such a grain is neither placed, gated nor killed as
/// an actor (a reviewer's "killed" plain grain went on answering).</summary>
[Collection(RayCollection.Name)]
public sealed class PlainGrainContractTests
{
    private readonly IRay _ray;

    public PlainGrainContractTests(RayFixture fixture) => _ray = fixture.Ray;

    [Fact]
    public async Task An_actor_contract_implemented_by_a_plain_grain_is_refused_at_creation_naming_the_class()
    {
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => _ray.CreateActorAsync<INotAnActor>(new ActorOptions { Name = "plain-" + Guid.NewGuid().ToString("N") }));

        Assert.Contains(typeof(NotAnActorGrain).FullName!, refused.Message, StringComparison.Ordinal);
        Assert.Contains("does not derive from ActorGrain", refused.Message, StringComparison.Ordinal);
        // Refused before its name was taken: the name is free.
        Assert.DoesNotContain(await _ray.ListNamedActorsAsync(), a => a.Name.StartsWith("plain-", StringComparison.Ordinal));

        // A contract implemented by an ActorGrain is still accepted.
        var counter = await _ray.CreateActorAsync<TestGrainActors.ICounterActor>();
        Assert.Equal(1, await counter.Increment());
        await _ray.KillAsync(counter);
    }
}

/// <summary>An actor contract.</summary>
public interface INotAnActor : IActor
{
    Task<int> X();
}

/// <summary>Implemented by a plain grain, not an <see cref="ActorGrain"/>.</summary>
public sealed class NotAnActorGrain : Grain, INotAnActor
{
    public Task<int> X() => Task.FromResult(1);
}
