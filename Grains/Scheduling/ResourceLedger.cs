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

    public ResourceLedger(ResourceSet total)
    {
        ArgumentNullException.ThrowIfNull(total);
        _nodeTotal = total;
        _total = total;
        _free = total.ToDictionary();
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

        return true;
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

    /// <summary>Takes <paramref name="claim"/>'s amounts.</summary>
    public void Take(ResourceClaim claim)
    {
        Move(claim.Node, -1);
        foreach (var (bundle, amounts) in claim.Bundles)
        {
            Bundles.Take(bundle, amounts);
        }
    }

    /// <summary>Gives <paramref name="claim"/>'s amounts back (those of a bundle released meanwhile are dropped; the
    /// last return to a removed group's bundles gives their shapes back to the free pool, <see cref="RetireBundles"/>).</summary>
    public void Return(ResourceClaim claim)
    {
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
        if (!ResourceSet.From(toReserve.SelectMany(b => b.Shape.Items)).FitsIn(_free))
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
        }
    }

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
