namespace OrleansRay.Grains;

/// <summary>A placement group the control store could not place yet, as <c>orleansray status</c>, the dashboard's
/// Cluster page and <c>orleansray list placement-groups</c> show it (Ray's "N+ pending placement groups" demand).</summary>
/// <param name="Id">The group's id.</param>
/// <param name="Spec">Its name, strategy and bundles.</param>
/// <param name="IsInfeasible">True when the live nodes could not hold the whole group even if they were empty (e.g.
/// 5 bundles of 1 CPU on nodes with 4 CPUs in all): it waits for a node to join.</param>
/// <param name="Reason">Why the last placement round failed, e.g. "Pack: no node has {"CPU": 1.0} free now for bundle 4".</param>
[GenerateSerializer, Immutable, Alias("orleansray.pendingplacementgroup")]
public sealed record PendingPlacementGroupInfo(
    [property: Id(0)] Guid Id,
    [property: Id(1)] PlacementGroupSpec Spec,
    [property: Id(2)] bool IsInfeasible,
    [property: Id(3)] string Reason);
