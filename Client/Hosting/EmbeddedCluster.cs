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

/// <summary>A single-node cluster inside this process: an Orleans silo on loopback with in-memory state, the
/// OrleansRay node runtime, and the node's object store (embedded, sized by object_store_memory). Needs nothing but
/// the .NET SDK.</summary>
internal sealed partial class EmbeddedCluster : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly NodeObjectStore? _store;
    private readonly ILogger<EmbeddedCluster> _logger;

    private EmbeddedCluster(IHost host, NodeRuntime runtime, NodeObjectStore? store)
    {
        _host = host;
        Runtime = runtime;
        _store = store;
        _logger = host.Services.GetRequiredService<ILogger<EmbeddedCluster>>();
    }

    public NodeRuntime Runtime { get; }

    /// <summary>The node's embedded object store, or null when object_store_memory is 0 (every value stays inline).</summary>
    internal EmbeddedObjectStore? ObjectStore => _store?.Store;

    public static async Task<EmbeddedCluster> StartAsync(RayOptions options, CancellationToken cancellationToken)
    {
        var resources = NodeResources(options);
        var nodeOptions = new NodeRuntimeOptions
        {
            Resources = resources,
            Namespace = options.Namespace,
            MinWorkerThreads = Math.Max(1, (int)Math.Ceiling(options.NumCpus ?? Environment.ProcessorCount)),
            InlineThreshold = options.InlineThreshold,
        };
        var storeBytes = (long)resources[ResourceSet.ObjectStoreMemory];
        var store = storeBytes > 0 ? await NodeObjectStore.StartAsync(storeBytes, cancellationToken).ConfigureAwait(false) : null;
        try
        {
            // The silo's two ports are chosen free just before it binds them; another process (or an outgoing
            // connection's local port) can take one in between. Then the start is tried again with new ports.
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    return await StartSiloAsync(options, nodeOptions, store, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (attempt < PortAttempts && IsPortTaken(ex))
                {
                }
            }
        }
        catch
        {
            if (store is not null)
            {
                await store.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    private static async Task<EmbeddedCluster> StartSiloAsync(RayOptions options, NodeRuntimeOptions nodeOptions, NodeObjectStore? store, CancellationToken cancellationToken)
    {

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = Environments.Production });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(options.LogLevel);
        // Orleans advises ServerGC at every start; an embedded node lives inside the user's process and its GC choice.
        builder.Logging.AddFilter("Orleans.Runtime.Silo", options.LogLevel < LogLevel.Warning ? options.LogLevel : LogLevel.Error);
        var (siloPort, gatewayPort) = (FreeTcpPort(), FreeTcpPort());
        builder.UseOrleans(silo =>
        {
            // Each embedded node is its own cluster (unique id), so several can run in one process (tests, tools).
            silo.UseLocalhostClustering(siloPort, gatewayPort, serviceId: "orleansray", clusterId: "orleansray-embedded-" + Guid.NewGuid().ToString("N")[..12]);
            if (store is not null)
            {
                silo.Services.AddSingleton(store.Client);
                silo.Services.AddSingleton<LocalObjectStore>();
            }

            silo.AddOrleansRayRuntime(nodeOptions);
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

        return new EmbeddedCluster(host, host.Services.GetRequiredService<NodeRuntime>(), store);
    }

    /// <summary>The node's resources from the options, with Ray's defaults.</summary>
    internal static ResourceSet NodeResources(RayOptions options)
    {
        var physical = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        // Ray's defaults: the object store takes 30% of memory (capped at 200 GiB), tasks and actors may use 70%.
        var objectStore = options.ObjectStoreMemory ?? Math.Min((long)(physical * 0.3), 200L << 30);
        var memory = options.Memory ?? (long)(physical * 0.7);
        var items = new List<KeyValuePair<string, double>>
        {
            new(ResourceSet.Cpu, options.NumCpus ?? Environment.ProcessorCount),
            new(ResourceSet.Gpu, options.NumGpus),
            new(ResourceSet.Memory, memory),
            new(ResourceSet.ObjectStoreMemory, objectStore),
        };
        foreach (var (name, amount) in options.Resources)
        {
            if (name is ResourceSet.Cpu or ResourceSet.Gpu or ResourceSet.Memory or ResourceSet.ObjectStoreMemory)
            {
                throw new ArgumentException($"RayOptions.Resources[\"{name}\"]: set {name} with its own option (NumCpus, NumGpus, Memory, ObjectStoreMemory).", nameof(options));
            }

            items.Add(new(name, amount));
        }

        return ResourceSet.From(items);
    }

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
            // The runtime frees its objects (deleting stored ones) before the store goes; the store goes last.
            Runtime.Dispose();
            _host.Dispose();
            if (_store is not null)
            {
                if (_store.Store.GetStats().PinnedCount is var pinned and > 0)
                {
                    LogBuffersStillPinned(_logger, pinned);
                }

                await _store.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The node shut down while {Pinned} object buffers were still undisposed: their memory is unmapped now, do not read them")]
    private static partial void LogBuffersStillPinned(ILogger logger, int pinned);
}
