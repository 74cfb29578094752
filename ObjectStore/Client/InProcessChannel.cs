using System.Net;
using OrleansRay.ObjectStore.Storage;

namespace OrleansRay.ObjectStore.Client;

/// <summary>A channel that calls the store's core directly: no socket, no copies of requests.</summary>
internal sealed class InProcessChannel : IStoreChannel
{
    private readonly StoreCore _core;
    private readonly StoreSession _session;

    public InProcessChannel(StoreCore core, string name)
    {
        _core = core;
        _session = core.OpenSession(name);
    }

    public ValueTask<long> CreateAsync(StoreObjectId id, long size, bool primary, TimeSpan? timeout, CancellationToken cancellationToken) =>
        _core.CreateAsync(_session, id, size, primary, timeout ?? _core.Options.CreateTimeout, cancellationToken);

    public ValueTask PutSmallAsync(StoreObjectId id, ReadOnlyMemory<byte> data, bool primary, CancellationToken cancellationToken) =>
        _core.PutAsync(_session, id, data, primary, _core.Options.CreateTimeout, cancellationToken);

    public ValueTask SealAsync(StoreObjectId id, CancellationToken cancellationToken)
    {
        _core.Seal(_session, id);
        return ValueTask.CompletedTask;
    }

    public ValueTask AbortAsync(StoreObjectId id)
    {
        _core.Abort(_session, id);
        return ValueTask.CompletedTask;
    }

    public ValueTask<ObjectLocation?[]> GetAsync(IReadOnlyList<StoreObjectId> ids, TimeSpan timeout, CancellationToken cancellationToken) =>
        _core.GetAsync(_session, ids, timeout, cancellationToken);

    public void Release(StoreObjectId id) => _core.Release(_session, id);

    // In-process gets are direct calls already: no lease table, every get pins.
    public bool TryReadLeased(StoreObjectId id, out ObjectLocation location)
    {
        location = default;
        return false;
    }

    public void ReleaseLease(StoreObjectId id, ObjectLocation location) =>
        throw new InvalidOperationException("An in-process client holds no read leases.");

    public ValueTask<int> DeleteAsync(IReadOnlyList<StoreObjectId> ids, CancellationToken cancellationToken) => ValueTask.FromResult(_core.Delete(ids));

    public ValueTask<bool> ContainsAsync(StoreObjectId id, CancellationToken cancellationToken) => ValueTask.FromResult(_core.Contains(id));

    public ValueTask<ObjectResidency[]> GetResidencyAsync(IReadOnlyList<StoreObjectId> ids, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_core.Residency(ids));

    public ValueTask<ObjectStoreStats> GetStatsAsync(CancellationToken cancellationToken) => ValueTask.FromResult(_core.GetStats());

    public ValueTask PullAsync(StoreObjectId id, IPEndPoint remote, TimeSpan timeout, CancellationToken cancellationToken) =>
        new(_core.PullAsync(id, remote, timeout, cancellationToken));

    public ValueTask DisposeAsync()
    {
        _core.CloseSession(_session);
        return ValueTask.CompletedTask;
    }
}
