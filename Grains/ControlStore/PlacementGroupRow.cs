using OrleansRay.Grains;

namespace OrleansRay.ControlStore;

/// <summary>A placement group's row: what survives a deactivation of its grain.</summary>
[GenerateSerializer, Immutable, Alias("orleansray.placementgrouprow")]
public sealed record PlacementGroupRow(
    [property: Id(0)] PlacementGroupSpec Spec,
    [property: Id(1)] PlacementGroupState State,
    [property: Id(2)] NodeId[] BundleNodes,
    [property: Id(3)] NodeId[] Touched);
