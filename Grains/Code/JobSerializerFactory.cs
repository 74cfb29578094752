using System.Runtime.Loader;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Serialization;
using Orleans.Serialization.Cloning;
using Orleans.Serialization.Configuration;
using Orleans.Serialization.Serializers;
using Orleans.Serialization.TypeSystem;

namespace OrleansRay.Code;

/// <summary>Builds the Orleans serializer of one job on a node: a service provider of its own that knows the job's
/// <c>[GenerateSerializer]</c> types (from its load context) besides everything the node's serializer knows, resolves
/// names in the job's context first, and reaches the node's runtime for the values that need it (grain references,
/// the ObjectRef borrower hooks). It goes with the job, so its caches never hold the job's types past the job.</summary>
internal static class JobSerializerFactory
{
    /// <summary>Builds the serializer for <paramref name="context"/>.</summary>
    /// <param name="context">The job's load context (its assemblies loaded already).</param>
    /// <param name="host">The node's service provider (the silo's or client's).</param>
    /// <param name="configure">Adds the node's runtime services the hooks resolve (e.g. the node runtime).</param>
    /// <param name="jobAssemblies">Simple names of the job's assemblies: every type of them is allowed in the job's
    /// values (an actor handle names the actor's class, which has no codec of its own).</param>
    /// <returns>The provider (dispose it with the job) and the serializer.</returns>
    public static (ServiceProvider Services, Serializer Serializer) Build(AssemblyLoadContext context, IServiceProvider host, Action<IServiceCollection> configure, IEnumerable<string> jobAssemblies)
    {
        var services = new ServiceCollection();
        services.AddSerializer(builder =>
        {
            foreach (var assembly in context.Assemblies)
            {
                builder.AddAssembly(assembly);
            }
        });

        // AddSerializer also takes every loaded assembly with generated code, which includes other jobs' contexts:
        // their serializers stay out (they would keep those contexts alive, and could answer for this job's names).
        for (var i = services.Count - 1; i >= 0; i--)
        {
            var descriptor = services[i];
            if (descriptor.ServiceType == typeof(IConfigureOptions<TypeManifestOptions>)
                && descriptor.ImplementationType is { Assembly.IsCollectible: true } generated
                && AssemblyLoadContext.GetLoadContext(generated.Assembly) != context)
            {
                services.RemoveAt(i);
            }
        }

        services.AddSingleton<TypeResolver>(new JobTypeResolver(context));
        var allowed = jobAssemblies.ToArray();
        services.Configure<TypeManifestOptions>(o => o.AllowedAssemblies.UnionWith(allowed));
        foreach (var codec in host.GetServices<ISpecializableCodec>())
        {
            services.AddSingleton(codec);
        }

        foreach (var copier in host.GetServices<ISpecializableCopier>())
        {
            services.AddSingleton(copier);
        }

        if (host.GetService<Orleans.Runtime.OnDeserializedCallbacks>() is { } callbacks)
        {
            services.AddSingleton(callbacks);
        }

        configure(services);
        var provider = services.BuildServiceProvider();
        return (provider, provider.GetRequiredService<Serializer>());
    }
}
