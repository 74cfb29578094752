using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Hosting;
using Orleans.Serialization.Configuration;
using OrleansRay.Transport;
using OrleansRay.ControlStore;
using OrleansRay.Node;
using OrleansRay.Ownership;

namespace OrleansRay.Hosting;

/// <summary>Adds OrleansRay's node runtime to an Orleans silo.</summary>
internal static class SiloBuilderExtensions
{
    /// <summary>Registers the node runtime (scheduler engine, worker threads, owned objects) with <paramref name="options"/>.
    /// Safe to call twice: the second call is ignored.</summary>
    public static ISiloBuilder AddOrleansRayRuntime(this ISiloBuilder builder, NodeRuntimeOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        if (builder.Services.Any(s => s.ServiceType == typeof(NodeRuntime)))
        {
            return builder;
        }

        // Refuse to start when a grain interface uses a type without a codec, instead of failing at the first call.
        builder.Services.Configure<TypeManifestOptions>(o => o.EnableConfigurationAnalysis = true);
        builder.Services.TryAddSingleton(options);
        builder.Services.TryAddSingleton<ValueCopier>();
        builder.Services.TryAddSingleton<ObjectRefSerializationHooks>();
        // One per silo; a process hosting several nodes registers one shared instance before this (see LocalOwners).
        builder.Services.TryAddSingleton<LocalOwners>();
        builder.Services.TryAddSingleton<NodeRuntime>();
        // Actor host grains take the Actors layer's services, not the whole runtime.
        builder.Services.TryAddSingleton(sp => sp.GetRequiredService<NodeRuntime>().ActorServices);
        builder.Services.AddPlacementDirector<HeadPlacement, HeadPlacementDirector>();
        if (!builder.Services.Any(s => s.IsKeyedService && Equals(s.ServiceKey, ControlStore.ControlStoreStorage.Name) && s.ServiceType == typeof(Orleans.Storage.IGrainStorage)))
        {
            // The control store writes through to the default grain storage; without --storage it is the head's memory.
            builder.Services.AddKeyedSingleton<Orleans.Storage.IGrainStorage>(ControlStore.ControlStoreStorage.Name, (_, _) => new ControlStore.HeadMemoryGrainStorage());
        }

        builder.Services.AddSingleton<NodeRuntimeLifecycle>();
        builder.Services.AddSingleton<ILifecycleParticipant<Orleans.Runtime.ISiloLifecycle>>(sp => sp.GetRequiredService<NodeRuntimeLifecycle>());
        return builder;
    }
}
