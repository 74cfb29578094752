namespace OrleansRay.ObjectStore.Storage;

/// <summary>Where a pinned object's bytes are in the arena.</summary>
internal readonly record struct ObjectLocation(long Offset, long Size);
