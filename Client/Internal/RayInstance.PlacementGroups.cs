using OrleansRay.Grains;

namespace OrleansRay;

/// <summary>Placement groups: the control store's <see cref="IPlacementGroupGrain"/> (one per group, on the head) plans
/// and reserves the bundles, and on removal has the nodes end the group's work; this side validates, creates and
/// removes.</summary>
internal abstract partial class RayInstance
{
    public async Task<PlacementGroup> CreatePlacementGroupAsync(IEnumerable<Bundle> bundles, PlacementStrategy strategy = PlacementStrategy.Pack, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(bundles);
        ThrowIfDisposed();
        var shapes = bundles.Select((b, i) => (b ?? throw new ArgumentException($"Bundle {i} is null.", nameof(bundles))).ToResourceSet(i)).ToArray();
        if (shapes.Length == 0)
        {
            throw new ArgumentException("A placement group needs at least one bundle, e.g. new[] { new Bundle { [\"CPU\"] = 1 } }.", nameof(bundles));
        }

        if (!Enum.IsDefined(strategy))
        {
            throw new ArgumentException($"Unknown placement strategy {strategy}; use Pack, Spread, StrictPack or StrictSpread.", nameof(strategy));
        }

        if (name is not null && string.IsNullOrWhiteSpace(name))
        {
            throw new ArgumentException("A placement group's name cannot be blank; leave it null for none.", nameof(name));
        }

        var id = Guid.NewGuid();
        var spec = new PlacementGroupSpec { Name = name, Strategy = ToWire(strategy), Bundles = shapes };
        await Runtime.GrainFactory.GetGrain<IPlacementGroupGrain>(id).CreateAsync(spec).ConfigureAwait(false);
        return new PlacementGroup(id, name, strategy, shapes, this);
    }

    public async Task RemovePlacementGroupAsync(PlacementGroup placementGroup)
    {
        ArgumentNullException.ThrowIfNull(placementGroup);
        ThrowIfDisposed();
        await Runtime.GrainFactory.GetGrain<IPlacementGroupGrain>(placementGroup.Id).RemoveAsync().ConfigureAwait(false);

        // The group told every node; this runtime may be a connected driver, in no node table: its own work of the
        // group (parked, or sent to nodes) ends too, and what it submits to the group from now on fails at once.
        await Runtime.PlacementGroups.RemovedAsync(placementGroup.Id).ConfigureAwait(false);
    }

    private static PlacementGroupStrategy ToWire(PlacementStrategy strategy) => strategy switch
    {
        PlacementStrategy.Spread => PlacementGroupStrategy.Spread,
        PlacementStrategy.StrictPack => PlacementGroupStrategy.StrictPack,
        PlacementStrategy.StrictSpread => PlacementGroupStrategy.StrictSpread,
        _ => PlacementGroupStrategy.Pack,
    };
}
