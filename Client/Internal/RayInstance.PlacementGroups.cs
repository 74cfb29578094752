using OrleansRay.Grains;

namespace OrleansRay;

/// <summary>Placement groups: the control store's <see cref="IPlacementGroupGrain"/> (one per group, on the head) plans
/// and reserves the bundles, claims and frees the group's name (<see cref="IPlacementGroupNameGrain"/>, one per
/// namespace), on removal has the nodes end the group's work, and removes a group that is not detached when its job
/// ends; this side validates, creates (recording the creating job), looks up by name and removes.</summary>
internal abstract partial class RayInstance
{
    public async Task<PlacementGroup> CreatePlacementGroupAsync(IEnumerable<Bundle> bundles, PlacementStrategy strategy = PlacementStrategy.Pack, string? name = null, bool detached = false)
    {
        ArgumentNullException.ThrowIfNull(bundles);
        ThrowIfDisposed();
        var job = Runtime.SubmittingJob; // read before any await: the driver's job, or that of the task or actor method calling
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
        var spec = new PlacementGroupSpec
        {
            Name = name,
            Strategy = ToWire(strategy),
            Bundles = shapes,
            Namespace = Namespace,
            Job = job.IsEmpty ? null : job.ToString(),
            Detached = detached,
        };
        await ClusterCalls.RunAsync(Runtime, Runtime.GrainFactory.GetGrain<IPlacementGroupGrain>(id).CreateAsync(spec)).ConfigureAwait(false);

        // Created (a refused name warns of nothing): a group the live nodes could never hold waits forever; say so once.
        Runtime.ActorServices.Infeasible?.CheckPlacementGroup(id, spec);
        return new PlacementGroup(id, name, strategy, shapes, this);
    }

    public async Task<PlacementGroup> GetPlacementGroupAsync(string name)
    {
        ThrowIfDisposed();
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new ArgumentException("A placement group's name cannot be null or blank.", nameof(name));
        }

        var ns = Namespace;
        var id = await ClusterCalls.RunAsync(Runtime, Runtime.GrainFactory.GetGrain<IPlacementGroupNameGrain>(ns).LookupAsync(name)).ConfigureAwait(false);
        var info = id is { } found ? await ClusterCalls.RunAsync(Runtime, Runtime.GrainFactory.GetGrain<IPlacementGroupGrain>(found).GetAsync()).ConfigureAwait(false) : null;

        // A name whose group is gone (removed, its name not freed yet) names nothing.
        if (info is null || info.State == PlacementGroupState.Removed || !string.Equals(info.Spec.Name, name, StringComparison.Ordinal))
        {
            throw new PlacementGroupNotFoundException(
                $"No placement group is named '{name}' in namespace '{ns}'. Create it with CreatePlacementGroupAsync(bundles, strategy, name: \"{name}\"), or check the namespace.");
        }

        return new PlacementGroup(info.Id, name, FromWire(info.Spec.Strategy), info.Spec.Bundles, this);
    }

    public async Task RemovePlacementGroupAsync(PlacementGroup placementGroup)
    {
        ArgumentNullException.ThrowIfNull(placementGroup);
        ThrowIfDisposed();
        await ClusterCalls.RunAsync(Runtime, Runtime.GrainFactory.GetGrain<IPlacementGroupGrain>(placementGroup.Id).RemoveAsync()).ConfigureAwait(false);

        // The group told every node; this runtime may be a connected driver, in no node table: its own work of the
        // group (parked, or sent to nodes) ends too, and what it submits to the group from now on fails at once.
        await Runtime.PlacementGroups.RemovedAsync(placementGroup.Id).ConfigureAwait(false);
    }

    internal static PlacementStrategy FromWire(PlacementGroupStrategy strategy) => strategy switch
    {
        PlacementGroupStrategy.Spread => PlacementStrategy.Spread,
        PlacementGroupStrategy.StrictPack => PlacementStrategy.StrictPack,
        PlacementGroupStrategy.StrictSpread => PlacementStrategy.StrictSpread,
        _ => PlacementStrategy.Pack,
    };

    internal static PlacementGroupStrategy ToWire(PlacementStrategy strategy) => strategy switch
    {
        PlacementStrategy.Spread => PlacementGroupStrategy.Spread,
        PlacementStrategy.StrictPack => PlacementGroupStrategy.StrictPack,
        PlacementStrategy.StrictSpread => PlacementGroupStrategy.StrictSpread,
        _ => PlacementGroupStrategy.Pack,
    };
}
