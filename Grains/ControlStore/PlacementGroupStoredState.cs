namespace OrleansRay.ControlStore;

/// <summary>The persisted part of a placement group: its row as Orleans-serialized bytes (a ResourceSet keeps its
/// amounts in private arrays, which a JSON state store could not round-trip).</summary>
[GenerateSerializer, Alias("orleansray.placementgroupstoredstate")]
public sealed class PlacementGroupStoredState
{
    [Id(0)] public byte[]? Row { get; set; }
}
