namespace OrleansRay.Scheduling;

/// <summary>What a resource shape takes on this node: amounts from the node's free resources, and amounts from
/// placement-group bundles (named in the shape by <see cref="BundleKey.ResourceName"/>).</summary>
/// <remarks>Made once per shape (a scheduling class, an actor's request) so bundle names are read once, not per task.
/// Immutable.</remarks>
internal sealed class ResourceClaim
{
    private readonly (BundleKey Bundle, ResourceSet Amounts)[] _bundles;

    private ResourceClaim(ResourceSet shape, ResourceSet node, (BundleKey Bundle, ResourceSet Amounts)[] bundles)
    {
        Shape = shape;
        Node = node;
        _bundles = bundles;
        NodeGpus = node[ResourceSet.Gpu];
        BundleGpus = bundles.Length == 0 ? [] : GpusOf(bundles);
        HasGpus = NodeGpus > 0 || BundleGpus.Length > 0;
    }

    private static (BundleKey, double)[] GpusOf((BundleKey Bundle, ResourceSet Amounts)[] bundles)
    {
        var bundleGpus = new List<(BundleKey, double)>();
        foreach (var (key, amounts) in bundles)
        {
            // A bundle's GPUs come from its instances; the pool's only when the claim names no bundle of the group (any
            // bundle: the ledger picks one of the group's bundles here whose instances have room).
            if (amounts[ResourceSet.Gpu] is var gpus and > 0
                && (!key.IsGroupPool || !Array.Exists(bundles, b => !b.Bundle.IsGroupPool && b.Bundle.PlacementGroupId == key.PlacementGroupId)))
            {
                bundleGpus.Add((key, gpus));
            }
        }

        return [.. bundleGpus];
    }

    /// <summary>True when the claim takes GPUs (the ledger then assigns instances, <see cref="GpuInstances"/>).</summary>
    public bool HasGpus { get; }

    /// <summary>The GPUs taken from the node's unreserved instances.</summary>
    public double NodeGpus { get; }

    /// <summary>The GPUs taken from bundles' instances: of one bundle, or (a pool key) of any bundle of the group here.</summary>
    public (BundleKey Bundle, double Gpus)[] BundleGpus { get; }

    /// <summary>The shape as asked for.</summary>
    public ResourceSet Shape { get; }

    /// <summary>The amounts taken from the node's free resources (the whole shape when it names no bundle).</summary>
    public ResourceSet Node { get; }

    /// <summary>The amounts taken from each bundle; empty for most shapes.</summary>
    public ReadOnlySpan<(BundleKey Bundle, ResourceSet Amounts)> Bundles => _bundles;

    /// <summary>True when the shape asks for nothing, so the ledger does not bound it (a lease cap does).</summary>
    public bool IsEmpty => Shape.IsEmpty;

    /// <summary>Reads <paramref name="shape"/>'s names into node and bundle amounts.</summary>
    public static ResourceClaim Of(ResourceSet shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        List<KeyValuePair<string, double>>? node = null;
        Dictionary<BundleKey, List<KeyValuePair<string, double>>>? bundles = null;
        foreach (var (name, amount) in shape.Items)
        {
            if (!BundleKey.TryParse(name, out var resource, out var key))
            {
                (node ??= new()).Add(new(name, amount));
                continue;
            }

            bundles ??= new();
            if (!bundles.TryGetValue(key, out var amounts))
            {
                bundles[key] = amounts = new();
            }

            amounts.Add(new(resource, amount));
        }

        if (bundles is null)
        {
            return new ResourceClaim(shape, shape, Array.Empty<(BundleKey, ResourceSet)>());
        }

        // What one bundle lends also leaves its group's pool on the node (Ray's indexed and wildcard resources, both
        // asked for by a task of one bundle): else work of the bundle and work of any bundle could together hold more
        // than the group reserved here.
        foreach (var (key, amounts) in bundles.Where(b => !b.Key.IsGroupPool).ToList())
        {
            var pool = new BundleKey(key.PlacementGroupId, BundleKey.AnyBundle);
            if (!bundles.TryGetValue(pool, out var pooled))
            {
                bundles[pool] = pooled = new();
            }

            pooled.AddRange(amounts);
        }

        return new ResourceClaim(
            shape,
            node is null ? ResourceSet.Empty : ResourceSet.From(node),
            bundles.Select(b => (b.Key, ResourceSet.From(b.Value))).ToArray());
    }

    /// <summary>What a task under this claim gives back while it waits in a Get: its CPUs, from the node and from its
    /// bundle, as Ray's raylet releases only a blocked worker's CPUs. Its GPUs, memory and custom resources stay held
    /// (<see cref="HeldWhileBlocked"/>), so no other task starts on a GPU that a waiting task holds. Made on first use.</summary>
    public ResourceClaim WhileBlocked => _whileBlocked ??= Part(cpus: true);

    /// <summary>What stays held while the task waits in a Get: everything but <see cref="WhileBlocked"/>.</summary>
    public ResourceClaim HeldWhileBlocked => _heldWhileBlocked ??= Part(cpus: false);

    private ResourceClaim? _whileBlocked;
    private ResourceClaim? _heldWhileBlocked;

    /// <summary>This claim's CPU amounts (<paramref name="cpus"/> true) or all its other amounts.</summary>
    private ResourceClaim Part(bool cpus)
    {
        static bool IsCpu(string resource) => resource == ResourceSet.Cpu;
        var shape = ResourceSet.From(Shape.Items.Where(kv => IsCpu(BundleKey.TryParse(kv.Key, out var resource, out _) ? resource : kv.Key) == cpus));
        var node = ResourceSet.From(Node.Items.Where(kv => IsCpu(kv.Key) == cpus));
        var bundles = _bundles
            .Select(b => (b.Bundle, Amounts: ResourceSet.From(b.Amounts.Items.Where(kv => IsCpu(kv.Key) == cpus))))
            .Where(b => !b.Amounts.IsEmpty)
            .ToArray();
        return new ResourceClaim(shape, node, bundles);
    }

    public override string ToString() => Shape.ToString();
}
