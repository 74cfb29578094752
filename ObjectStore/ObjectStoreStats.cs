namespace OrleansRay.ObjectStore;

/// <summary>A snapshot of the store's table and arena.</summary>
/// <remarks>
/// Three figures are computed independently and must agree in a healthy store (see <see cref="IsConsistent"/>):
/// the allocator's used-byte counter, the sum over the table of the blocks objects hold, and the sum of the
/// allocator's free list.
/// </remarks>
public sealed record ObjectStoreStats
{
    /// <summary>Usable arena bytes.</summary>
    public long Capacity { get; init; }

    /// <summary>Bytes the allocator has handed out (64-byte aligned blocks).</summary>
    public long UsedBytes { get; init; }

    /// <summary>Sum of the aligned block sizes of every object that holds a block, from a walk of the table.</summary>
    public long TableBlockBytes { get; init; }

    /// <summary>Sum of the allocator's free blocks, from a walk of the free list.</summary>
    public long FreeListBytes { get; init; }

    public long LargestFreeBlock { get; init; }

    public int FreeBlockCount { get; init; }

    /// <summary>Objects in the table (sealed, being written, or spilled), not counting deleted ones still draining.</summary>
    public int ObjectCount { get; init; }

    public int SealedInMemoryCount { get; init; }

    public int UnsealedCount { get; init; }

    public int SpilledCount { get; init; }

    public long SpilledBytes { get; init; }

    public int PinnedCount { get; init; }

    /// <summary>Sum of pins over all objects.</summary>
    public long TotalPins { get; init; }

    /// <summary>Secondary copies dropped to make room, since start.</summary>
    public long EvictionCount { get; init; }

    /// <summary>Primary copies written to the spill directory, since start.</summary>
    public long SpillCount { get; init; }

    /// <summary>Spilled objects read back into memory, since start.</summary>
    public long RestoreCount { get; init; }

    /// <summary>Completed pulls from peers, since start.</summary>
    public long PullCount { get; init; }

    /// <summary>Bytes received from peers, since start (including pulls that failed).</summary>
    public long PullBytesReceived { get; init; }

    /// <summary>Bytes sent to peers, since start.</summary>
    public long TransferBytesSent { get; init; }

    public int SessionCount { get; init; }

    /// <summary>Primary copies in the table (sealed, being written, or spilled; not deleted ones still draining): the
    /// objects that are lost if this store goes, as opposed to secondary copies pulled from peers.</summary>
    public int PrimaryCount { get; init; }

    /// <summary>True when the allocator, the table and the free list agree.</summary>
    public bool IsConsistent => UsedBytes == TableBlockBytes && UsedBytes + FreeListBytes == Capacity;
}
