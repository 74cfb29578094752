using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Hosting;
using OrleansRay.Transport;
using OrleansRay.ObjectStore;
using OrleansRay.ObjectStore.Hosting;
using OrleansRay.Node;
using OrleansRay.Ownership;

namespace OrleansRay.Hosting;

/// <summary>A single-node cluster inside this process: an Orleans silo on loopback with in-memory state and an
/// OrleansRay node (<c>UseOrleansRay</c>: the node runtime and its object store, sized by object_store_memory). Needs
/// nothing but the .NET SDK.</summary>
internal sealed class EmbeddedCluster : IAsyncDisposable
{
    private readonly IHost _host;

    private EmbeddedCluster(IHost host, NodeRuntime runtime)
    {
        _host = host;
        Runtime = runtime;
    }

    public NodeRuntime Runtime { get; }

    public static async Task<EmbeddedCluster> StartAsync(RayOptions options, CancellationToken cancellationToken)
    {
        // A reserved resource name fails here with the ArgumentException InitAsync documents, before anything starts.
        NodeResources(options);

        // The silo's two ports are chosen free just before it binds them; another process (or an outgoing
        // connection's local port) can take one in between. Then the start is tried again with new ports.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartSiloAsync(options, quietFailedStart: attempt < PortAttempts, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (attempt < PortAttempts && IsPortTaken(ex))
            {
            }
        }
    }

    /// <summary>Starts the node's silo on two free ports. With <paramref name="quietFailedStart"/> (every attempt but the
    /// last) the errors Orleans and the host log while a start fails are not shown: a start whose port was taken is tried
    /// again, and one that failed otherwise throws its cause to <c>InitAsync</c>'s caller.</summary>
    private static async Task<EmbeddedCluster> StartSiloAsync(RayOptions options, bool quietFailedStart, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = Environments.Production });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(options.LogLevel);
        if (options.LogTo is { } logTo)
        {
            builder.Logging.AddProvider(logTo);
        }

        // Orleans advises ServerGC at every start (Orleans.Runtime.Silo, below Error while the start is held back below);
        // an embedded node lives inside the user's process and its GC choice.
        // Orleans 10.4.2's watchdog warns at start that its check "has not completed for" about the machine's uptime
        // (seen on every embedded start here): a false stall. Below Warning (RayOptions.LogLevel) it shows.
        builder.Logging.AddFilter("Orleans.Runtime.Watchdog", options.LogLevel < LogLevel.Warning ? options.LogLevel : LogLevel.Error);
        // A start that fails logs its error four times (the lifecycle stage, the lifecycle, the silo, the host), each
        // with the stack trace, though InitAsync then starts on new ports or throws the cause. Held back until started.
        var starting = quietFailedStart;
        var siloLevel = options.LogLevel < LogLevel.Warning ? options.LogLevel : LogLevel.Error;
        foreach (var category in StartFailureCategories)
        {
            var least = category.StartsWith(SiloCategory, StringComparison.Ordinal) ? siloLevel : options.LogLevel; // the silo rule held its sub-categories at Error too
            builder.Logging.AddFilter(category, level => level >= least && !(Volatile.Read(ref starting) && level >= LogLevel.Error));
        }

        // Ctrl+C and SIGTERM end the driver's process, not just this node (DriverHostLifetime).
        builder.Services.AddSingleton<IHostLifetime, DriverHostLifetime>();
        var pickPort = options.PickPort ?? FreeTcpPort;
        var (siloPort, gatewayPort) = (pickPort(), pickPort());
        builder.UseOrleans(silo =>
        {
            // Each embedded node is its own cluster (unique id), so several can run in one process (tests, tools).
            silo.UseLocalhostClustering(siloPort, gatewayPort, serviceId: "orleansray", clusterId: "orleansray-embedded-" + Guid.NewGuid().ToString("N")[..12]);
            // The node and its object store, in this process.
            silo.UseOrleansRay(node =>
            {
                node.CopyFrom(options);
                // Its tasks run the driver's code in this process: the driver's working dir is theirs, nothing to copy.
                node.DriverWorkingDirectory = options.JobWorkingDir();
                // And its environment variables: no code package carries them, so its tasks and actors inherit them.
                node.DriverEnvVars = options.RuntimeEnv.CopyEnvVars();
                node.StartedAsHead = true;
            });
        });

        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            host.Dispose();
            throw;
        }
        finally
        {
            Volatile.Write(ref starting, false);
        }

        return new EmbeddedCluster(host, host.Services.GetRequiredService<NodeRuntime>());
    }

    /// <summary>The node's resources from the options, with Ray's defaults.</summary>
    /// <exception cref="ArgumentException">A custom resource is named like one the node sets from its own options.</exception>
    internal static ResourceSet NodeResources(RayOptions options)
    {
        foreach (var name in options.Resources.Keys)
        {
            if (RayNodeOptionsValidator.IsReserved(name))
            {
                throw new ArgumentException($"RayOptions.Resources[\"{name}\"]: set {name} with its own option (NumCpus, NumGpus, Memory, ObjectStoreMemory).", nameof(options));
            }
        }

        var node = new RayNodeOptions();
        node.CopyFrom(options);
        return NodeRuntimeOptionsFactory.Resources(node);
    }

    private const string SiloCategory = "Orleans.Runtime.Silo";

    /// <summary>The log categories that report a failed silo start (see <see cref="StartSiloAsync"/>).</summary>
    private static readonly string[] StartFailureCategories =
        [SiloCategory, "Orleans.Runtime.SiloLifecycleSubject", "Microsoft.Extensions.Hosting.Internal.Host"];

    /// <summary>How many times a start whose port was taken meanwhile is tried with new ports.</summary>
    private const int PortAttempts = 5;

    private static bool IsPortTaken(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse })
            {
                return true;
            }

            if (ex is AggregateException aggregate && aggregate.InnerExceptions.Any(IsPortTaken))
            {
                return true;
            }
        }

        return false;
    }

    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _host.StopAsync(stop.Token).ConfigureAwait(false);
        }
        finally
        {
            // The runtime frees its objects (deleting stored ones) before the store goes: the host's services dispose
            // the store after the runtime, and with it warn about buffers still pinned.
            Runtime.Dispose();
            _host.Dispose();
        }
    }
}
