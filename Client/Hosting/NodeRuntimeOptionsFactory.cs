using OrleansRay.Execution;
using OrleansRay.Node;
using OrleansRay.Transport;

namespace OrleansRay.Hosting;

/// <summary>The runtime's view of a node (<see cref="NodeRuntimeOptions"/>) from the public, validated
/// <see cref="RayNodeOptions"/>, with Ray's defaults for what was left unset.</summary>
internal static class NodeRuntimeOptionsFactory
{
    /// <param name="options">The node's public options.</param>
    /// <param name="endpoints">The silo's endpoints (its gateway, which connected drivers name), when known.</param>
    /// <param name="cluster">The silo's cluster options (its <see cref="NodeRuntimeOptions.ClusterName"/>), when known.</param>
    public static NodeRuntimeOptions Create(RayNodeOptions options, Orleans.Configuration.EndpointOptions? endpoints = null, Orleans.Configuration.ClusterOptions? cluster = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        // CPUs are a logical resource (Ray's num_cpus): the node may offer far more than the machine has cores, and the
        // pool starts threads on demand, one per item queued that no free thread takes (WorkerPool). So one thread per CPU
        // is started up front only up to EagerWorkerThreads, and the pool may grow to one thread per CPU (so the node's
        // CPU slots can all run at once) but never past WorkerPool.ThreadLimit: 1,000,000 CPUs once started as many
        // threads at construction, and the process died of it (exit 134, out of memory mappings).
        var slots = (int)Math.Ceiling(Math.Min(options.NumCpus ?? Environment.ProcessorCount, WorkerPool.ThreadLimit));
        var runtime = new NodeRuntimeOptions
        {
            Resources = Resources(options),
            ClusterName = cluster is null ? null : ClusterName(cluster.ServiceId, cluster.ClusterId),
            Namespace = options.Namespace,
            MinWorkerThreads = Math.Clamp(slots, 1, EagerWorkerThreads),
            InlineThreshold = options.InlineThreshold,
            Credentials = options.Credentials,
            TaskChannelPort = options.TaskChannelPort,
            CodeCacheBytes = options.CodeCacheBytes,
            CodeCacheDirectory = options.CodeCacheDirectory,
            WorkingDirsDirectory = options.WorkingDirsDirectory,
            DriverWorkingDirectory = options.DriverWorkingDirectory,
            DriverEnvVars = options.DriverEnvVars,
            StartedAsHead = options.StartedAsHead,
            Gateway = endpoints is { GatewayPort: > 0, AdvertisedIPAddress: { } address }
                ? new System.Net.IPEndPoint(address, endpoints.GatewayPort).ToString()
                : null,
        };
        runtime.MaxWorkerThreads = Math.Max(runtime.MaxWorkerThreads, slots);
        return runtime;
    }

    /// <summary>The <see cref="NodeRuntimeOptions.ClusterName"/> of an Orleans service and cluster id.</summary>
    public static string ClusterName(string serviceId, string clusterId) => serviceId + "/" + clusterId;

    /// <summary>The most worker threads a node starts up front: the machine's processor count, at least 64. More CPUs
    /// than that get their threads when work needs them.</summary>
    public static int EagerWorkerThreads => Math.Max(Environment.ProcessorCount, 64);

    /// <summary>The node's resources: CPU, GPU, memory, object_store_memory and the custom ones.</summary>
    public static ResourceSet Resources(RayNodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
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
        items.AddRange(options.Resources);
        return ResourceSet.From(items);
    }
}
