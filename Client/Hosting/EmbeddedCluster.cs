using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Hosting;
using OrleansRay.Runtime;

namespace OrleansRay.Hosting;

/// <summary>A single-node cluster inside this process: an Orleans silo on loopback with in-memory state, and the
/// OrleansRay node runtime. Needs nothing but the .NET SDK.</summary>
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
        var nodeOptions = new NodeRuntimeOptions
        {
            Resources = NodeResources(options),
            Namespace = options.Namespace,
            MinWorkerThreads = Math.Max(1, (int)Math.Ceiling(options.NumCpus ?? Environment.ProcessorCount)),
        };

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

        return new EmbeddedCluster(host, host.Services.GetRequiredService<NodeRuntime>());
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
            Runtime.Dispose();
            _host.Dispose();
        }
    }
}
