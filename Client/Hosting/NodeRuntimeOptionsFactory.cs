using OrleansRay.Node;
using OrleansRay.Transport;

namespace OrleansRay.Hosting;

/// <summary>The runtime's view of a node (<see cref="NodeRuntimeOptions"/>) from the public, validated
/// <see cref="RayNodeOptions"/>, with Ray's defaults for what was left unset.</summary>
internal static class NodeRuntimeOptionsFactory
{
    /// <param name="options">The node's public options.</param>
    /// <param name="endpoints">The silo's endpoints (its gateway, which connected drivers name), when known.</param>
    public static NodeRuntimeOptions Create(RayNodeOptions options, Orleans.Configuration.EndpointOptions? endpoints = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new NodeRuntimeOptions
        {
            Resources = Resources(options),
            Namespace = options.Namespace,
            // One worker thread per CPU the node offers is started up front; blocked functions add more as needed.
            MinWorkerThreads = Math.Max(1, (int)Math.Ceiling(options.NumCpus ?? Environment.ProcessorCount)),
            InlineThreshold = options.InlineThreshold,
            Credentials = options.Credentials,
            TaskChannelPort = options.TaskChannelPort,
            Gateway = endpoints is { GatewayPort: > 0, AdvertisedIPAddress: { } address }
                ? new System.Net.IPEndPoint(address, endpoints.GatewayPort).ToString()
                : null,
        };
    }

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
