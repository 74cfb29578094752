using Microsoft.Extensions.DependencyInjection;
using Orleans.Metadata;
using Orleans.Serialization.TypeSystem;
using OrleansRay.Grains;
using OrleansRay.Hosting;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.Hosting;

/// <summary>A node answers Orleans' "which grain interface type is this?" from a cache that is asked first, with the
/// answers Orleans' own attribute provider and naming convention give, so grain calls keep working unchanged while
/// each <c>GetGrain</c> skips the reflection.</summary>
public sealed class CachedGrainInterfaceTypesTests : IAsyncLifetime
{
    private InProcessCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await InProcessCluster.StartAsync((1, null));

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task The_cache_is_asked_first_and_answers_as_orleans_does_for_every_grain_interface()
    {
        var services = _cluster.Nodes[0].Host.Services;
        var cached = Assert.IsType<CachedGrainInterfaceTypes>(services.GetServices<IGrainInterfaceTypeProvider>().First());

        // Orleans' resolution without the cache: its attribute provider, then its naming convention.
        var orleans = new GrainInterfaceTypeResolver([new AttributeGrainInterfaceTypeProvider(services)], services.GetRequiredService<TypeConverter>());
        var resolver = services.GetRequiredService<GrainInterfaceTypeResolver>();
        var interfaces = typeof(INodeTableGrain).Assembly.GetTypes()
            .Where(t => t.IsInterface && typeof(IAddressable).IsAssignableFrom(t) && !t.ContainsGenericParameters)
            .ToList();
        Assert.NotEmpty(interfaces);
        foreach (var type in interfaces)
        {
            var expected = orleans.GetGrainInterfaceType(type);
            Assert.True(cached.TryGetGrainInterfaceType(type, out var answer));
            Assert.Equal(expected, answer);
            Assert.Equal(expected, resolver.GetGrainInterfaceType(type)); // what GetGrain uses, asked twice now
        }

        Assert.True(cached.Count >= interfaces.Count);

        // A grain reference made through the cache reaches its grain.
        var table = services.GetRequiredService<IGrainFactory>().GetGrain<INodeTableGrain>(0);
        Assert.Equal(orleans.GetGrainInterfaceType(typeof(INodeTableGrain)), ((GrainReference)table).InterfaceType);
        var rows = await table.ListAsync();
        Assert.Contains(rows, r => r.NodeId == _cluster.Nodes[0].NodeId);
    }
}
