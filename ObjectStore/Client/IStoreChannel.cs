using System.Net;
using OrleansRay.ObjectStore.Storage;

namespace OrleansRay.ObjectStore.Client;

/// <summary>How a client talks to its store: directly in-process, or over the Unix socket.</summary>
internal interface IStoreChannel : IAsyncDisposable
{
    ValueTask<long> CreateAsync(StoreObjectId id, long size, bool primary, TimeSpan? timeout, CancellationToken cancellationToken);

    /// <summary>Creates, fills and seals an object of at most <see cref="Protocol.ProtocolLimits.MaxInlinePut"/> bytes in one request.</summary>
    ValueTask PutSmallAsync(StoreObjectId id, ReadOnlyMemory<byte> data, bool primary, CancellationToken cancellationToken);

    ValueTask SealAsync(StoreObjectId id, CancellationToken cancellationToken);

    ValueTask AbortAsync(StoreObjectId id);

    ValueTask<ObjectLocation?[]> GetAsync(IReadOnlyList<StoreObjectId> ids, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>A reader on a read lease this client holds for <paramref name="id"/> (no round trip); false when it has none.</summary>
    bool TryReadLeased(StoreObjectId id, out ObjectLocation location);

    /// <summary>Drops a reader taken by <see cref="TryReadLeased"/> or granted with a get's lease (called from Dispose).</summary>
    void ReleaseLease(StoreObjectId id, ObjectLocation location);

    /// <summary>Releases one pin; fire-and-forget (called from Dispose).</summary>
    void Release(StoreObjectId id);

    ValueTask<int> DeleteAsync(IReadOnlyList<StoreObjectId> ids, CancellationToken cancellationToken);

    ValueTask<bool> ContainsAsync(StoreObjectId id, CancellationToken cancellationToken);

    /// <summary>Where each of 1..<see cref="Protocol.ProtocolLimits.MaxIdsPerRequest"/> objects is now, in the order of <paramref name="ids"/>.</summary>
    ValueTask<ObjectResidency[]> GetResidencyAsync(IReadOnlyList<StoreObjectId> ids, CancellationToken cancellationToken);

    ValueTask<ObjectStoreStats> GetStatsAsync(CancellationToken cancellationToken);

    ValueTask PullAsync(StoreObjectId id, IPEndPoint remote, TimeSpan timeout, CancellationToken cancellationToken);
}
