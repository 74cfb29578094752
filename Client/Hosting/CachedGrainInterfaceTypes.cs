using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Metadata;
using Orleans.Serialization.TypeSystem;

namespace OrleansRay.Hosting;

/// <summary>Answers Orleans' question "which <see cref="GrainInterfaceType"/> is this interface?" once per interface and
/// then from a cache.</summary>
/// <remarks>Orleans' <see cref="GrainInterfaceTypeResolver"/> works the answer out again on every
/// <c>IGrainFactory.GetGrain</c>: it reads the interface's custom attributes and formats its type name. A profile of
/// "placement group create/removal" put 9% of the process's time there. Registered first among the
/// <see cref="IGrainInterfaceTypeProvider"/>s (Orleans asks its configured providers in registration order before its
/// naming convention), this provider answers for every interface with what the other providers and the convention give,
/// worked out the first time by a resolver over those other providers. The answer for a given interface never changes
/// in a process's life, so caching it changes no result. Added by <see cref="AddFirst"/>.</remarks>
internal sealed class CachedGrainInterfaceTypes(IServiceProvider services) : IGrainInterfaceTypeProvider
{
    private readonly ConcurrentDictionary<Type, GrainInterfaceType> _known = new();
    private readonly Func<Type, GrainInterfaceType> _resolve = type => Resolver(services).GetGrainInterfaceType(type);

    /// <summary>Interfaces answered so far (for tests).</summary>
    internal int Count => _known.Count;

    /// <inheritdoc/>
    public bool TryGetGrainInterfaceType(Type type, out GrainInterfaceType grainInterfaceType)
    {
        grainInterfaceType = _known.TryGetValue(type, out var known) ? known : _known.GetOrAdd(type, _resolve);
        return true;
    }

    /// <summary>Registers the provider ahead of Orleans' own, once per service collection.</summary>
    /// <param name="services">A silo's or a client's services.</param>
    public static void AddFirst(IServiceCollection services)
    {
        if (services.Any(s => s.ImplementationType == typeof(CachedGrainInterfaceTypes)))
        {
            return;
        }

        services.Insert(0, ServiceDescriptor.Singleton<IGrainInterfaceTypeProvider, CachedGrainInterfaceTypes>());
    }

    /// <summary>Orleans' resolution without this provider: the other providers first, then the convention.</summary>
    private static GrainInterfaceTypeResolver Resolver(IServiceProvider services) => new(
        services.GetServices<IGrainInterfaceTypeProvider>().Where(p => p is not CachedGrainInterfaceTypes),
        services.GetRequiredService<TypeConverter>());
}
