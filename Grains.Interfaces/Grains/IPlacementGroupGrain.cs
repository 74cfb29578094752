namespace OrleansRay.Grains;

/// <summary>One placement group in the control store (key: the group's id): its spec, its state, and which node holds
/// each bundle. It reserves the bundles on the nodes, all or none, retries while they do not fit, re-reserves the
/// bundles of a node that died, and on removal ends the group's work and frees its bundles. A group that is not
/// <see cref="PlacementGroupSpec.Detached"/> is removed so when its <see cref="PlacementGroupSpec.Job"/> ends.</summary>
[Alias("orleansray.IPlacementGroupGrain")]
public interface IPlacementGroupGrain : IGrainWithGuidKey
{
    /// <summary>Records the group and tries to reserve its bundles at once; a group that does not fit yet stays
    /// <see cref="PlacementGroupState.Pending"/> and is retried. Calling it again with the same spec is harmless.</summary>
    /// <exception cref="ArgumentException">The spec is invalid, or the group already exists with another spec.</exception>
    [Alias("Create")]
    Task<PlacementGroupInfo> CreateAsync(PlacementGroupSpec spec);

    /// <summary>The group's state and bundle placement; null when no group has this id.</summary>
    [Alias("Get")]
    Task<PlacementGroupInfo?> GetAsync();

    /// <summary>Marks the group <see cref="PlacementGroupState.Removed"/> and tells every live node
    /// (<see cref="INodeEndpoint.RemovePlacementGroupAsync"/>), which ends the group's tasks and actors there, refuses
    /// its later work and frees its bundles once their tenants are gone. Completes once the nodes answered (or did not
    /// within a few seconds: a node that does not answer is dying). Idempotent; afterwards <see cref="GetAsync"/>
    /// answers null.</summary>
    [Alias("Remove")]
    Task RemoveAsync();
}
