namespace OrleansRay.Scheduling;

/// <summary>This node's resources: its free pool, and the placement-group bundles reserved out of it; what a
/// <see cref="ResourceClaim"/> fits, takes and gives back.</summary>
/// <remarks>
/// Not thread-safe: the scheduler engine's lock guards it, except <see cref="Total"/>, which may be read without it.
/// Amounts may go below zero while a task that waited in a Get resumes (the node is briefly over-subscribed, as in
/// Ray); <see cref="Available"/> shows them as zero.
/// </remarks>
internal sealed class ResourceLedger
{
    private readonly Dictionary<string, double> _free;
    private ResourceSet _nodeTotal;

    /// <summary>The node's total with its bundles, built on the first read after a change (null until then): bundles
    /// come and go far more often than a placer asks. Guarded by <see cref="_totalGate"/>, which bundle changes take
    /// inside the engine's lock and a read takes alone.</summary>
    private volatile ResourceSet? _total;
    private readonly object _totalGate = new();

    /// <summary>The node's GPU instances not reserved by bundles, and each group's bundles' instances here.</summary>
    private readonly GpuInstances _nodeGpus;
    private readonly Dictionary<Guid, List<BundleGpus>> _bundleGpus = new();

    public ResourceLedger(ResourceSet total)
    {
        ArgumentNullException.ThrowIfNull(total);
        _nodeTotal = total;
        _total = total;
        _free = total.ToDictionary();
        _nodeGpus = GpuInstances.ForNode(total[ResourceSet.Gpu]);
    }

    /// <summary>The node's total, its bundles included under their names (what the cluster view shows); read without
    /// the lock by the placer.</summary>
    public ResourceSet Total => _total ?? BuildTotal();

    private ResourceSet BuildTotal()
    {
        lock (_totalGate)
        {
            return _total ??= Bundles.IsEmpty ? _nodeTotal : ResourceSet.From(_nodeTotal.Items.Concat(Bundles.NamedTotals));
        }
    }

    /// <summary>The bundles reserved here.</summary>
    public BundleLedger Bundles { get; } = new();

    /// <summary>True when <paramref name="claim"/> is free now, in the node's pool and in each of its bundles.</summary>
    public bool Fits(ResourceClaim claim)
    {
        if (!claim.Node.FitsIn(_free))
        {
            return false;
        }

        foreach (var (bundle, amounts) in claim.Bundles)
        {
            if (!Bundles.Fits(bundle, amounts))
            {
                return false;
            }
        }

        return !claim.HasGpus || GpusFit(claim);
    }

    /// <summary>True when this node could ever hold <paramref name="claim"/> (false: it is infeasible here).</summary>
    public bool FitsTotal(ResourceClaim claim)
    {
        if (!claim.Node.FitsIn(_nodeTotal))
        {
            return false;
        }

        foreach (var (bundle, amounts) in claim.Bundles)
        {
            if (!Bundles.FitsTotal(bundle, amounts))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Takes <paramref name="claim"/>'s amounts, and for its GPUs instances (checked with <see cref="Fits"/>
    /// first).</summary>
    /// <returns>The GPU instances taken (give them to <see cref="Return"/> with the claim); null when it takes none.</returns>
    public GpuGrant? Take(ResourceClaim claim)
    {
        Move(claim.Node, -1);
        foreach (var (bundle, amounts) in claim.Bundles)
        {
            Bundles.Take(bundle, amounts);
        }

        return claim.HasGpus ? TakeGpus(claim) : null;
    }

    /// <summary>Gives <paramref name="claim"/>'s amounts back, and <paramref name="gpus"/> (what <see cref="Take"/>
    /// assigned; null when the claim holds none, or gives back no GPUs). Those of a bundle released meanwhile are dropped;
    /// the last return to a removed group's bundles gives their shapes back to the free pool, <see cref="RetireBundles"/>.</summary>
    public void Return(ResourceClaim claim, GpuGrant? gpus = null)
    {
        gpus?.Return();
        Move(claim.Node, +1);
        foreach (var (bundle, amounts) in claim.Bundles)
        {
            if (Bundles.Return(bundle, amounts) is { } whole)
            {
                Free(whole);
            }
        }
    }

    /// <summary>The free resources now, bundles under their names, at least zero each.</summary>
    public ResourceSet Available() => BundleLedger.Clamped(Bundles.IsEmpty ? _free : _free.Concat(Bundles.NamedAvailable()));

    /// <summary>Reserves bundles, all or none: their shapes leave the free pool for the bundle ledger. Bundles already
    /// reserved here (a retried reservation) are skipped. False when the others do not fit what is free.</summary>
    public bool ReserveBundles(IReadOnlyList<BundleReservation> bundles)
    {
        var toReserve = bundles.Where(b => !Bundles.Holds(b.PlacementGroupId, b.Index)).ToList();
        if (!ResourceSet.From(toReserve.SelectMany(b => b.Shape.Items)).FitsIn(_free) || !TryReserveGpus(toReserve))
        {
            return false;
        }

        lock (_totalGate)
        {
            foreach (var bundle in toReserve)
            {
                Move(bundle.Shape, -1);
                Bundles.Add(bundle);
            }

            _total = null;
        }

        return true;
    }

    /// <summary>Returns a group's bundles here to the free pool; false when it holds none here.</summary>
    public bool ReleaseBundles(Guid placementGroupId)
    {
        List<BundleReservation>? released;
        lock (_totalGate)
        {
            released = Bundles.Remove(placementGroupId);
            _total = null;
        }

        if (released is null)
        {
            return false;
        }

        Free(released);
        return true;
    }

    /// <summary>The group was removed: its bundles here take no new tenant, and their shapes return to the free pool once
    /// no tenant holds any part of them (now, or at the last tenant's <see cref="Return"/>), never before and never
    /// twice. False when the group holds no bundle here.</summary>
    public bool RetireBundles(Guid placementGroupId)
    {
        List<BundleReservation>? retired;
        lock (_totalGate)
        {
            retired = Bundles.Retire(placementGroupId);
            _total = null;
        }

        if (retired is null)
        {
            return false;
        }

        Free(retired);
        return true;
    }

    private void Free(List<BundleReservation> bundles)
    {
        foreach (var bundle in bundles)
        {
            Move(bundle.Shape, +1);
            FreeGpus(bundle);
        }
    }

    /// <summary>True when every GPU part of <paramref name="claim"/> has instances with room now.</summary>
    private bool GpusFit(ResourceClaim claim)
    {
        if (claim.NodeGpus > 0 && !_nodeGpus.Fits(claim.NodeGpus))
        {
            return false;
        }

        foreach (var (bundle, gpus) in claim.BundleGpus)
        {
            if (!_bundleGpus.TryGetValue(bundle.PlacementGroupId, out var held)
                || !held.Exists(b => (bundle.IsGroupPool || b.Index == bundle.BundleIndex) && b.Instances.Fits(gpus)))
            {
                return false;
            }
        }

        return true;
    }

    private GpuGrant? TakeGpus(ResourceClaim claim)
    {
        var parts = new List<(GpuInstances, int, double)>();
        if (claim.NodeGpus > 0 && _nodeGpus.Take(claim.NodeGpus) is { } fromNode)
        {
            parts.AddRange(fromNode);
        }

        foreach (var (bundle, gpus) in claim.BundleGpus)
        {
            if (_bundleGpus.TryGetValue(bundle.PlacementGroupId, out var held)
                && held.Find(b => (bundle.IsGroupPool || b.Index == bundle.BundleIndex) && b.Instances.Fits(gpus)) is { } chosen
                && chosen.Instances.Take(gpus) is { } fromBundle)
            {
                parts.AddRange(fromBundle);
            }
        }

        return parts.Count == 0 ? null : new GpuGrant([.. parts]);
    }

    /// <summary>Gives each new bundle that asks for GPUs instances of the node's, all or none.</summary>
    private bool TryReserveGpus(List<BundleReservation> bundles)
    {
        var reserved = new List<BundleGpus>();
        foreach (var bundle in bundles)
        {
            var gpus = bundle.Shape[ResourceSet.Gpu];
            if (gpus <= 0)
            {
                continue;
            }

            if (_nodeGpus.Take(gpus) is not { } parts)
            {
                reserved.ForEach(b => b.FromNode.Return());
                return false;
            }

            var grant = new GpuGrant(parts);
            reserved.Add(new BundleGpus(bundle.PlacementGroupId, bundle.Index, GpuInstances.ForBundle(grant), grant));
        }

        foreach (var bundle in reserved)
        {
            if (!_bundleGpus.TryGetValue(bundle.PlacementGroupId, out var held))
            {
                _bundleGpus[bundle.PlacementGroupId] = held = new List<BundleGpus>();
            }

            held.Add(bundle);
        }

        return true;
    }

    /// <summary>A bundle's GPU instances go back to the node (what its tenants still hold of them is dropped when they
    /// return it).</summary>
    private void FreeGpus(BundleReservation bundle)
    {
        if (_bundleGpus.TryGetValue(bundle.PlacementGroupId, out var held) && held.FindIndex(b => b.Index == bundle.Index) is var i and >= 0)
        {
            held[i].FromNode.Return();
            held.RemoveAt(i);
            if (held.Count == 0)
            {
                _bundleGpus.Remove(bundle.PlacementGroupId);
            }
        }
    }

    /// <summary>One bundle's GPU instances here, and what it took of the node's.</summary>
    private sealed record BundleGpus(Guid PlacementGroupId, int Index, GpuInstances Instances, GpuGrant FromNode);

    private void Move(ResourceSet amounts, int sign)
    {
        // Twice per lease: by index, not through the allocating Items iterator.
        var names = amounts.Names;
        var values = amounts.Amounts;
        for (var i = 0; i < names.Length; i++)
        {
            _free[names[i]] = _free.GetValueOrDefault(names[i]) + (sign * values[i]);
        }
    }
}
