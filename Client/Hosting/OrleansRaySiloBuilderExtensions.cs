using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.GrainDirectory;
using Orleans.Hosting;
using OrleansRay;
using OrleansRay.Hosting;

namespace Microsoft.Extensions.Hosting;

/// <summary>Adds an OrleansRay node to an Orleans silo.</summary>
public static class OrleansRaySiloBuilderExtensions
{
    /// <summary>Makes this silo an OrleansRay node: Ray's tasks, actors and objects run in it, next to the
    /// application's own grains, and the host's services get an <see cref="IRay"/> (the application's driver) to submit
    /// them with. Every silo of the Orleans cluster that calls this is a node of one OrleansRay cluster, so tasks and
    /// actors are scheduled across them by their resources.</summary>
    /// <param name="builder">The silo builder (inside <c>UseOrleans(silo => ...)</c>).</param>
    /// <param name="configure">Sets the node's resources and object store; null keeps Ray's defaults (every CPU of the
    /// machine, 70% of memory for tasks, 30% for the object store). Bound as <c>IOptions&lt;RayNodeOptions&gt;</c>, so
    /// <c>services.Configure&lt;RayNodeOptions&gt;(...)</c> and configuration binding work too.</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <remarks>
    /// <para>Resolve the driver once the host has started: <c>host.Services.GetRequiredService&lt;IRay&gt;()</c>, or
    /// inject <see cref="IRay"/> into the application's services and grains. It is one driver for the whole host and a
    /// job of the cluster (<c>orleansray job list</c> shows it) from the first time it is resolved until the silo stops;
    /// then its non-detached actors die. The host owns it: disposing it ends the job early, and stopping the host does
    /// that anyway. Inside a task or an actor method, <see cref="Ray.Current"/> is the node's <see cref="IRay"/> as
    /// usual; outside them, use the resolved one (<see cref="Ray.Current"/> there only names drivers made by
    /// <see cref="Ray.InitAsync"/>).</para>
    /// <para>The application's own grains stay as they are, and tasks and actors reach them through
    /// <see cref="IRay.GrainFactory"/> (the silo's grain factory). Every silo of the cluster hosts the grain classes its
    /// host was built with; a class that only travels with a connected driver's shipped code is hosted nowhere.</para>
    /// <para>The options are checked when the host starts: a bad value fails <c>StartAsync</c> with an
    /// <see cref="OptionsValidationException"/> whose message names the setting and what to give instead.</para>
    /// <para>Safe to call more than once: the node is added once, and every <paramref name="configure"/> is applied, in
    /// order. The silo's clustering, ports and grain storage stay the application's. What the node adds to the silo:
    /// its grains and an object store of <see cref="RayNodeOptions.ObjectStoreMemory"/> bytes in this process; an
    /// in-memory default grain storage for OrleansRay's control store when the silo has none (one the application
    /// registers, before or after this call, takes precedence); Orleans' distributed grain directory as the silo's
    /// default one, without lease holds (so a node's death deactivates no actor on another node; skipped when the
    /// application registered a default grain directory before this call; every silo of the cluster must agree); and
    /// <c>TypeManifestOptions.EnableConfigurationAnalysis</c>, so a grain interface using a type Orleans cannot
    /// serialize fails the start instead of its first call.</para>
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    public static ISiloBuilder UseOrleansRay(this ISiloBuilder builder, Action<RayNodeOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Services.AddOptions<RayNodeOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        if (builder.Services.Any(s => s.ServiceType == typeof(NodeMarker)))
        {
            return builder;
        }

        builder.Services.AddSingleton<NodeMarker>();
        options.ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RayNodeOptions>, RayNodeOptionsValidator>());
        NodeRuntimeServices.Add(builder.Services);
        AddActorSafeGrainDirectory(builder);
        builder.Services.TryAddSingleton<HostedDriver>();
        builder.Services.AddSingleton<ILifecycleParticipant<Orleans.Runtime.ISiloLifecycle>>(sp => sp.GetRequiredService<HostedDriver>());
        builder.Services.TryAddSingleton<IRay>(sp => sp.GetRequiredService<HostedDriver>().Driver);
        return builder;
    }

    /// <summary>Secures this silo as <c>orleansray start</c> secures its nodes: every node and gateway connection is
    /// TLS 1.3 with mutual authentication by a key derived from <paramref name="authToken"/> (Orleans' own TLS
    /// middleware, Microsoft.Orleans.Connections.Security), and the node's object store transfers use the same. Every
    /// silo of the cluster needs the same token; connected drivers give it as <see cref="RayOptions.AuthToken"/> (or
    /// <c>$ORLEANSRAY_AUTH_TOKEN</c>). Without this call a hosted silo's connections are the application's business,
    /// and drivers connect to it with <see cref="RayOptions.Insecure"/>.</summary>
    /// <param name="builder">The silo builder.</param>
    /// <param name="authToken">The cluster's token: at least 16 characters without white space
    /// (<c>orleansray start --head</c> makes 43-character random ones).</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="authToken"/> is null.</exception>
    /// <exception cref="ArgumentException">The token is too short or contains white space.</exception>
    public static ISiloBuilder UseOrleansRayAuthToken(this ISiloBuilder builder, string authToken)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(authToken);
        var credentials = OrleansRay.ObjectStore.Security.ClusterCredentials.FromToken(authToken);
        builder.Services.AddSingleton(credentials);
        builder.Services.Configure<RayNodeOptions>(o => o.Credentials = credentials);
        return builder.UseClusterTls(credentials);
    }

    /// <summary>Makes Orleans' distributed grain directory the silo's default one (ADR 0010), unless the application
    /// registered a default grain directory of its own before this call.</summary>
    /// <remarks>
    /// Why: an actor's instance lives in its <c>ActorHostGrain</c> activation. Orleans' default in-cluster directory
    /// (LocalGrainDirectory) deactivates, on every surviving silo, each activation whose registration the dead silo's
    /// partition held, so killing one node lost about a third of the actors on the others. The distributed directory
    /// instead rebuilds a dead silo's partition from the registrations the survivors report, and deactivates nothing.
    /// It must be the default, not a directory named for actors only: once it is registered, its system targets answer
    /// the remote calls of the in-cluster directory too (Orleans' rolling-upgrade bridge), so a LocalGrainDirectory
    /// left as the default for the other grains would keep half of its entries in the wrong place. Every silo of a
    /// cluster must therefore make the same choice, which UseOrleansRay does for all of OrleansRay's nodes.
    /// </remarks>
    private static void AddActorSafeGrainDirectory(ISiloBuilder builder)
    {
        if (builder.Services.Any(s => s.IsKeyedService && s.ServiceType == typeof(IGrainDirectory)
            && Equals(s.ServiceKey, GrainDirectoryAttribute.DEFAULT_GRAIN_DIRECTORY)))
        {
            // The application chose its default directory (an external store: Redis, Azure, ADO.NET...). Those do not
            // deactivate live activations when a silo dies either.
            return;
        }

#pragma warning disable ORLEANSEXP003 // Experimental in Orleans 10.4 (API shape may change), but it is Orleans' own
        // directory, recovers a dead silo's partition from the survivors, and without it actors on live nodes die with
        // any other node (ADR 0010). Revisit when Orleans drops the attribute.
        builder.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003

        // No lease hold after a silo dies: with Orleans' default (30 s, minus the 12 s failure-detection window) every
        // new activation whose id hashes into the dead silo's former range, and every restart of its actors, waits
        // ~18 s after the death is declared. OrleansRay restarts a dead node's actors as soon as membership declares it
        // dead (MembershipTuning), as Ray's GCS does, and the in-cluster directory it replaces had no such lease.
        // An application's own Configure<GrainDirectoryOptions> after UseOrleansRay still wins.
        builder.Services.Configure<GrainDirectoryOptions>(o => o.RangeLeaseDuration = TimeSpan.Zero);
    }

    /// <summary>Marks a silo that has its node already.</summary>
    private sealed class NodeMarker;
}
