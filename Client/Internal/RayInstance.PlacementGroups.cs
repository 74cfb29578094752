using OrleansRay.Grains;

namespace OrleansRay;

/// <summary>Placement groups: the control store's <see cref="IPlacementGroupGrain"/> (one per group, on the head) plans
/// and reserves the bundles; this side validates, creates and removes.</summary>
internal abstract partial class RayInstance
{
    public async Task<PlacementGroup> CreatePlacementGroupAsync(IEnumerable<Bundle> bundles, PlacementStrategy strategy = PlacementStrategy.Pack, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(bundles);
        Runtime.ThrowIfDisposed();
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

    public Task RemovePlacementGroupAsync(PlacementGroup placementGroup)
    {
        ArgumentNullException.ThrowIfNull(placementGroup);
        Runtime.ThrowIfDisposed();
        return Runtime.GrainFactory.GetGrain<IPlacementGroupGrain>(placementGroup.Id).RemoveAsync();
    }

    private static PlacementGroupStrategy ToWire(PlacementStrategy strategy) => strategy switch
    {
        PlacementStrategy.Spread => PlacementGroupStrategy.Spread,
        PlacementStrategy.StrictPack => PlacementGroupStrategy.StrictPack,
        PlacementStrategy.StrictSpread => PlacementGroupStrategy.StrictSpread,
        _ => PlacementGroupStrategy.Pack,
    };
}
