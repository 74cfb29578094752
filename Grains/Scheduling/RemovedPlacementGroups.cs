namespace OrleansRay.Scheduling;

/// <summary>The placement groups this runtime knows were removed (Ray's <c>remove_placement_group</c>): work of one of
/// them is refused wherever it would start waiting or running here, and the errors that say so.</summary>
/// <remarks>Thread-safe. Bounded: the latest <see cref="Kept"/> removals are remembered, far more than a runtime has
/// work of at once; an older group's late work then waits as for a pending group, until the runtime asks the control
/// store about it. <see cref="IsEmpty"/> is a volatile read, so work on a runtime that never saw a removal pays nothing.</remarks>
internal sealed class RemovedPlacementGroups
{
    /// <summary>Removals remembered: a group id is 16 bytes, so 4,096 of them cost ~100 KB at most.</summary>
    public const int Kept = 4096;

    private readonly object _gate = new();
    private readonly HashSet<Guid> _ids = new();
    private readonly Queue<Guid> _order = new();
    private volatile bool _any;

    /// <summary>True while no removal is known (the hot path's only check).</summary>
    public bool IsEmpty => !_any;

    /// <summary>Records that <paramref name="placementGroupId"/> was removed; false when it was known already.</summary>
    public bool Add(Guid placementGroupId)
    {
        lock (_gate)
        {
            if (!_ids.Add(placementGroupId))
            {
                return false;
            }

            _order.Enqueue(placementGroupId);
            if (_order.Count > Kept)
            {
                _ids.Remove(_order.Dequeue());
            }

            _any = true;
            return true;
        }
    }

    /// <summary>True when <paramref name="placementGroupId"/> is known to be removed.</summary>
    public bool Contains(Guid placementGroupId)
    {
        if (!_any)
        {
            return false;
        }

        lock (_gate)
        {
            return _ids.Contains(placementGroupId);
        }
    }

    /// <summary>The removed group <paramref name="spec"/> belongs to, or null: by its owner's placement, or by the bundles
    /// its shape names (read into <paramref name="claim"/>; null: the placement alone, which an owned task always has).</summary>
    public Guid? GroupOf(TaskSpec spec, ResourceClaim? claim)
    {
        if (!_any)
        {
            return null;
        }

        if (spec.Placement is { Kind: PlacementKind.PlacementGroup } placement && Contains(placement.PlacementGroupId))
        {
            return placement.PlacementGroupId;
        }

        if (claim is null)
        {
            return null;
        }

        foreach (var (bundle, _) in claim.Bundles)
        {
            if (Contains(bundle.PlacementGroupId))
            {
                return bundle.PlacementGroupId;
            }
        }

        return null;
    }

    /// <summary>True when <paramref name="spec"/>, whose shape reads as <paramref name="claim"/>, is work of
    /// <paramref name="placementGroupId"/>: its shape names one of the group's bundles, or its owner placed it in the
    /// group (a task that asks for no resources names no bundle).</summary>
    public static bool BelongsTo(TaskSpec spec, ResourceClaim claim, Guid placementGroupId)
    {
        foreach (var (bundle, _) in claim.Bundles)
        {
            if (bundle.PlacementGroupId == placementGroupId)
            {
                return true;
            }
        }

        return spec.Placement is { Kind: PlacementKind.PlacementGroup } placement && placement.PlacementGroupId == placementGroupId;
    }

    /// <summary>Why work of <paramref name="placementGroupId"/> ends or is refused, for an error message.</summary>
    public static string Why(Guid placementGroupId) =>
        $"its placement group {placementGroupId:N} was removed (RemovePlacementGroupAsync ends every task and actor of a group, and refuses new ones)";

    /// <summary>The error of a task of a removed group: cancelled (Ray cancels them), saying why; never retried.</summary>
    public static RayError TaskError(TaskSpec spec, Guid placementGroupId) =>
        RayError.Create(RayErrorKind.Cancelled, $"Task {spec.DisplayName} ({spec.Id}) was cancelled: {Why(placementGroupId)}.", spec.DisplayName);
}
