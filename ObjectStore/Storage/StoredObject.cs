namespace OrleansRay.ObjectStore.Storage;

/// <summary>One row of the object table.</summary>
/// <remarks>Mutated only under the store's table lock.</remarks>
internal sealed class StoredObject
{
    public StoredObject(StoreObjectId id, long size, bool isPrimary)
    {
        Id = id;
        Size = size;
        IsPrimary = isPrimary;
    }

    public StoreObjectId Id { get; }

    public long Size { get; }

    /// <summary>The offset of the object's arena block; -1 when it holds none (spilled, or zero bytes long).</summary>
    public long Block { get; set; } = -1;

    /// <summary>The offset readers use: the block, or 0 for an empty object.</summary>
    public long Offset => Block >= 0 ? Block : 0;

    public ObjectState State { get; set; }

    /// <summary>The primary copy is the one its owner created here; secondary copies were pulled from peers and may be dropped.</summary>
    public bool IsPrimary { get; }

    /// <summary>Sum of the pins all sessions hold.</summary>
    public int Pins { get; set; }

    public long LastUse { get; set; }

    /// <summary>This object's place in its LRU list while it is sealed and holds a block; null otherwise.</summary>
    public LinkedListNode<StoredObject>? LruNode { get; set; }

    /// <summary>The session writing the object until it is sealed or aborted.</summary>
    public StoreSession? Creator { get; set; }

    /// <summary>Delete was requested while the object was busy; it goes when the last pin, spill or restore ends.</summary>
    public bool Deleted { get; set; }

    public bool Spilling { get; set; }

    /// <summary>The read leases clients hold on this object (each also counted in <see cref="Pins"/>); null when none ever.</summary>
    public List<(LeaseTable Table, int Slot)>? Leases { get; set; }

    public string? SpillPath { get; set; }

    public Task? Restoring { get; set; }

    public bool IsReadable => State == ObjectState.Sealed && !Deleted && (Block >= 0 || Size == 0);

    public bool IsEvictable => State == ObjectState.Sealed && !Deleted && Pins == 0 && !Spilling && Restoring is null && Block >= 0;
}
