using Orleans.Runtime;
using OrleansRay.TestGrainActors;
using Xunit;

namespace OrleansRay.Tests.GrainActors;

/// <summary>The proxies Orleans generates for actor contracts derive from <see cref="ActorReference"/>, whatever order a
/// contract lists its grain interfaces in; a proxy that did not would send its calls unstamped (unordered).</summary>
public sealed class ActorReferenceTests
{
    [Theory]
    [InlineData(typeof(ICounterActor))]
    [InlineData(typeof(ISecondListedActor))]
    public void The_generated_proxy_of_an_actor_contract_is_an_ActorReference(Type contract)
    {
        var proxies = AppDomain.CurrentDomain.GetAssemblies()
            .Where(a => !a.IsDynamic)
            .SelectMany(a => a.GetTypes())
            .Where(t => t.IsClass && contract.IsAssignableFrom(t) && typeof(GrainReference).IsAssignableFrom(t))
            .ToList();
        var proxy = Assert.Single(proxies);
        Assert.True(proxy.IsSubclassOf(typeof(ActorReference)), $"{proxy} derives from {proxy.BaseType}, not ActorReference");
    }
}

