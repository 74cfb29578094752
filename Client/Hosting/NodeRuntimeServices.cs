using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Hosting;
using Orleans.Serialization.Configuration;
using OrleansRay.ControlStore;
using OrleansRay.Node;
using OrleansRay.Ownership;
using OrleansRay.Placement;
using OrleansRay.Transport;

namespace OrleansRay.Hosting;

/// <summary>The services of OrleansRay's node runtime in a silo; added once, by <c>UseOrleansRay</c>.</summary>
internal static class NodeRuntimeServices
{
    /// <summary>Registers the node runtime (scheduler engine, worker threads, owned objects) with its options built from
    /// the validated <see cref="RayNodeOptions"/>, its object store, and its binding to the silo's lifecycle.</summary>
    public static void Add(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);

        // Refuse to start when a grain interface uses a type without a codec, instead of failing at the first call.
        services.Configure<TypeManifestOptions>(o => o.EnableConfigurationAnalysis = true);
        // An actor method's own exception type reaches a caller in another process as itself.
        UserExceptionSerialization.Add(services);
        // Every GetGrain would otherwise read the interface's attributes and format its name again.
        CachedGrainInterfaceTypes.AddFirst(services);
        // Built from the public options (validated by then) when the silo first needs the runtime.
        services.TryAddSingleton(sp => NodeRuntimeOptionsFactory.Create(
            sp.GetRequiredService<IOptions<RayNodeOptions>>().Value,
            sp.GetService<IOptions<Orleans.Configuration.EndpointOptions>>()?.Value,
            sp.GetService<IOptions<Orleans.Configuration.ClusterOptions>>()?.Value));
        services.TryAddSingleton<ValueCopier>();
        services.TryAddSingleton<ObjectRefSerializationHooks>();
        services.TryAddSingleton<Code.IJobServicesSetup, JobServicesSetup>();
        services.TryAddSingleton(NodeObjectStore.Start);
        // One per silo; a process hosting several nodes registers one shared instance before this (see LocalOwners).
        services.TryAddSingleton<LocalOwners>();
        // The application's grains are reached through this factory too (IRay.GrainFactory): one for a grain class no
        // node hosts says why.
        services.TryAddSingleton(sp => new NodeRuntime(
            sp.GetRequiredService<NodeRuntimeOptions>(),
            ApplicationGrainFactory.Create(sp, sp.GetRequiredService<IGrainFactory>()),
            sp.GetRequiredService<ValueCopier>(),
            sp.GetRequiredService<LocalOwners>(),
            sp.GetRequiredService<ILogger<NodeRuntime>>(),
            sp.GetRequiredService<NodeObjectStore>().Local,
            sp));
        // Actor host grains take the Actors layer's services, not the whole runtime.
        services.TryAddSingleton(sp => sp.GetRequiredService<NodeRuntime>().ActorServices);
        services.AddPlacementDirector<HeadPlacement, HeadPlacementDirector>();
        services.AddPlacementDirector<ActorGrainPlacement, ActorGrainPlacementDirector>();
        services.AddPlacementDirector<ActorHostPlacement, ActorHostPlacementDirector>();
        services.AddSingleton<IActorCallRouter>(sp => new Actors.ActorCallStamper(sp, watchNodeDeaths: false));
        if (!services.Any(s => s.IsKeyedService && Equals(s.ServiceKey, ControlStoreStorage.Name) && s.ServiceType == typeof(Orleans.Storage.IGrainStorage)))
        {
            // The control store writes through to the default grain storage; without --storage it is the head's memory.
            services.AddKeyedSingleton<Orleans.Storage.IGrainStorage>(ControlStoreStorage.Name, (_, _) => new HeadMemoryGrainStorage());
        }

        // The head's control store takes its settings from the node's options.
        services.AddOptions<ControlStoreOptions>().Configure<IOptions<RayNodeOptions>>((store, node) => store.CodePackageGrace = node.Value.CodePackageGrace);
        services.AddSingleton<NodeRuntimeLifecycle>();
        services.AddSingleton<ILifecycleParticipant<Orleans.Runtime.ISiloLifecycle>>(sp => sp.GetRequiredService<NodeRuntimeLifecycle>());
    }
}
