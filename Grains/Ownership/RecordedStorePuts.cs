using System.Buffers;
using OrleansRay.Grains;

namespace OrleansRay.Ownership;

/// <summary>The puts of a connected driver on the machine of the node it connected through, which writes into that
/// node's store itself (<see cref="LocalObjectStore"/> over the store's socket): before each put the node records it as
/// this driver's (<see cref="DriverObjects"/>), as <see cref="NodeStorePuts"/> does for a driver elsewhere, so the node
/// frees the driver's objects when the driver is gone (Ray frees a dead owner's objects), a killed driver's included.</summary>
internal sealed class RecordedStorePuts : IDriverPuts
{
    /// <summary>How long the node may take to record a put before the put fails.</summary>
    private static readonly TimeSpan RecordTimeout = TimeSpan.FromSeconds(30);

    private readonly LocalObjectStore _store;
    private readonly INodeEndpoint _node;
    private readonly string _nodeName;
    private readonly WorkerId _driver;

    /// <param name="store">The node's store, attached by this driver.</param>
    /// <param name="node">The node whose store it is: it records each put as <paramref name="driver"/>'s.</param>
    /// <param name="nodeName">The node's id, for messages.</param>
    /// <param name="driver">This driver's worker id, the owner of what it puts.</param>
    public RecordedStorePuts(LocalObjectStore store, INodeEndpoint node, string nodeName, WorkerId driver)
    {
        _store = store;
        _node = node;
        _nodeName = nodeName;
        _driver = driver;
    }

    /// <inheritdoc/>
    public long InlineThreshold => _store.InlineThreshold;

    /// <inheritdoc/>
    public bool IsLarge(object? value) => _store.IsLarge(value);

    /// <inheritdoc/>
    public async ValueTask<StoredObject> PutAsync(ObjectId id, object value, string what, CancellationToken cancellationToken)
    {
        await RecordAsync(id, cancellationToken).ConfigureAwait(false);
        try
        {
            return await _store.PutAsync(id, value, what, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _ = _node.DeleteStoredAsync([id]); // one-way: the node forgets the record (nothing was stored)
            throw;
        }
    }

    /// <inheritdoc/>
    public async ValueTask<StoredObject> PutFilledAsync<T, TState>(ObjectId id, int length, TState state, SpanAction<T, TState> fill, CancellationToken cancellationToken)
        where T : unmanaged
    {
        await RecordAsync(id, cancellationToken).ConfigureAwait(false);
        try
        {
            return await _store.PutFilledAsync(id, length, state, fill, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _ = _node.DeleteStoredAsync([id]);
            throw;
        }
    }

    /// <inheritdoc/>
    public Task ReleaseAsync() => _node.ReleasePutsAsync(_driver);

    private Task RecordAsync(ObjectId id, CancellationToken cancellationToken) => RecordAsync(_node, _nodeName, _driver, id, cancellationToken);

    /// <summary>Has <paramref name="node"/> record object <paramref name="id"/> as <paramref name="driver"/>'s before
    /// the driver puts it into that node's store (here, or over the network: <see cref="NodeStorePuts"/>).</summary>
    /// <exception cref="ObjectStore.ObjectStoreException">The node did not answer within 30 s: the put fails, nothing stored.</exception>
    internal static async Task RecordAsync(INodeEndpoint node, string nodeName, WorkerId driver, ObjectId id, CancellationToken cancellationToken)
    {
        try
        {
            await node.RecordPutAsync(driver, id).WaitAsync(RecordTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            throw new ObjectStore.ObjectStoreException($"node {nodeName}, whose store would hold it, did not answer ({ex.Message.TrimEnd('.')})", ex);
        }
    }
}
