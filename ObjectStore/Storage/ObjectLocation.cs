namespace OrleansRay.ObjectStore.Storage;

/// <summary>Where a pinned object's bytes are in the arena; with a read lease (slot >= 0) instead of a pin when the
/// client has a lease table (docs/adr/0020-store-fast-path.md).</summary>
internal readonly record struct ObjectLocation(long Offset, long Size, int LeaseSlot = -1, long LeaseGeneration = 0);
