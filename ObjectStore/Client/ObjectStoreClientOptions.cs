namespace OrleansRay.ObjectStore;

/// <summary>How an <see cref="ObjectStoreClient"/> connected over the store's socket behaves.</summary>
public sealed record ObjectStoreClientOptions
{
    /// <summary>Fill this process's page tables for the whole arena at connect (one madvise) instead of one page fault
    /// per 4 KiB on first touch. Worth it for a long-lived client that writes large objects; costs page-table memory
    /// (2 MiB per GiB of arena). Default false.</summary>
    public bool Prefault { get; init; }

    /// <summary>Write-behind puts (default false): <see cref="ObjectStoreClient.PutAsync(StoreObjectId, ReadOnlyMemory{byte}, CancellationToken)"/>
    /// of an object of 1 byte to 4 KiB copies it into a block the store reserved for this client and returns without a
    /// round trip; the seal follows at once when the connection is idle, batched under load (Ray's plasma acknowledges
    /// each create and seal instead).</summary>
    /// <remarks>
    /// What holds: every later call of this client (a get, contains, delete, ...) sees the object; another client's get
    /// waits for the seal as for any object not sealed yet; if the client dies first, its unsealed puts vanish with its
    /// reserved blocks. What changes: a put whose id exists is refused when the seal arrives, and the
    /// <see cref="ObjectAlreadyExistsException"/> is thrown by this client's next put or by <see cref="ObjectStoreClient.FlushAsync"/>;
    /// another client's contains may answer false until the seal arrives. Leave it off when a put must fail at once.
    /// </remarks>
    public bool WriteBehindPuts { get; init; }
}
