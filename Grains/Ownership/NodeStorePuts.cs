using System.Buffers;
using System.Net;
using Orleans.Serialization;
using OrleansRay.Grains;
using OrleansRay.ObjectStore;
using OrleansRay.ObjectStore.Security;
using OrleansRay.ObjectStore.Transfer;

namespace OrleansRay.Ownership;

/// <summary>Puts the large values of a runtime without a store of its own (a connected driver on another machine than
/// the node it connected through) into that node's store, over the store's transfer endpoint in bounded chunks (Ray
/// Client's chunked put): no message carries them, so they may be as large as that store holds.</summary>
/// <remarks>The runtime stays the owner (Ray's ownership): its entry holds the <see cref="StoredObject"/>, readers
/// anywhere pull it from that store as any stored object, and freeing its last ref deletes it there. The copy is that
/// node's primary: it spills under pressure, and it is lost with that node (a put has no lineage). The bytes are
/// copied out of the value chunk by chunk as they are sent, so a raw array costs no second managed copy; another value
/// is serialized first, as the node's own store serializes it. Before each put the node records it as this driver's
/// (<see cref="DriverObjects"/>), so the node frees the driver's objects when the driver is gone: at once when it disposes
/// (<see cref="ReleaseAsync"/>), else when the job table declares its job ended.</remarks>
internal sealed class NodeStorePuts : IDriverPuts
{
    private readonly IPEndPoint _endpoint;
    private readonly string _storeEndpoint;
    private readonly string _nodeName;
    private readonly Serializer _serializer;
    private readonly ClusterCredentials? _credentials;
    private readonly INodeEndpoint _node;
    private readonly WorkerId _driver;

    /// <param name="storeEndpoint">The node's store's transfer endpoint, "address:port" (its identity in <see cref="StoredObject.Store"/>).</param>
    /// <param name="nodeName">The node's id, for <see cref="StoredObject.Node"/> and messages.</param>
    /// <param name="inlineThreshold">Values above this many bytes are put (<see cref="NodeRuntimeOptions.InlineThreshold"/>).</param>
    /// <param name="serializer">Serializes values that are not raw arrays.</param>
    /// <param name="credentials">The cluster's credentials (the put runs over TLS 1.3 with them), or null for plain TCP.</param>
    /// <param name="node">The node whose store this is: it records each put as <paramref name="driver"/>'s.</param>
    /// <param name="driver">This driver's worker id, the owner of what it puts.</param>
    /// <exception cref="FormatException"><paramref name="storeEndpoint"/> is not "address:port".</exception>
    public NodeStorePuts(string storeEndpoint, string nodeName, long inlineThreshold, Serializer serializer, ClusterCredentials? credentials, INodeEndpoint node, WorkerId driver)
    {
        _node = node;
        _driver = driver;
        _endpoint = IPEndPoint.Parse(storeEndpoint);
        _storeEndpoint = storeEndpoint;
        _nodeName = nodeName;
        InlineThreshold = inlineThreshold;
        _serializer = serializer;
        _credentials = credentials;
    }

    /// <inheritdoc/>
    public long InlineThreshold { get; }

    /// <inheritdoc/>
    public bool IsLarge(object? value) => LocalObjectStore.IsLarge(value, InlineThreshold);

    /// <inheritdoc/>
    public async ValueTask<StoredObject> PutAsync(ObjectId id, object value, string what, CancellationToken cancellationToken)
    {
        var storeId = LocalObjectStore.ToStoreId(id);
        if (value is Array array && LocalObjectStore.IsRawArray(array))
        {
            var size = LocalObjectStore.RawSize(array);
            LocalObjectStore.CheckSize(size, what, array.GetType());
            await PutRecordedAsync(id, storeId, size, (chunk, offset) => StoredBytes.RawBytes(array, (int)size).Slice((int)offset, chunk.Length).CopyTo(chunk), cancellationToken).ConfigureAwait(false);
            return Stored(id, array.GetType(), array.Length, size);
        }

        var bytes = LocalObjectStore.Serialize(value, what, _serializer);
        await PutRecordedAsync(id, storeId, bytes.Length, (chunk, offset) => bytes.AsSpan((int)offset, chunk.Length).CopyTo(chunk), cancellationToken).ConfigureAwait(false);
        return Stored(id, arrayType: null, length: 0, bytes.Length) with { Packed = value is PackedValue };
    }

    /// <inheritdoc/>
    public Task ReleaseAsync() => _node.ReleasePutsAsync(_driver);

    /// <summary>Has the node record the put as this driver's, then puts the bytes; a put that fails is forgotten there.</summary>
    private async Task PutRecordedAsync(ObjectId id, StoreObjectId storeId, long size, SpanAction<byte, long> write, CancellationToken cancellationToken)
    {
        await RecordedStorePuts.RecordAsync(_node, _nodeName, _driver, id, cancellationToken).ConfigureAwait(false);
        try
        {
            await TransferPut.PutAsync(storeId, _endpoint, size, write, _credentials, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _ = _node.DeleteStoredAsync([id]); // one-way: the node forgets the record (nothing was stored)
            throw;
        }
    }

    /// <inheritdoc/>
    /// <remarks>Filled into a managed array first (there is no mapping of the remote store to fill), then put.</remarks>
    public async ValueTask<StoredObject> PutFilledAsync<T, TState>(ObjectId id, int length, TState state, SpanAction<T, TState> fill, CancellationToken cancellationToken)
        where T : unmanaged
    {
        var array = new T[length];
        try
        {
            fill(array, state);
        }
        catch (Exception ex)
        {
            throw new FillFailedException(ex);
        }

        return await PutAsync(id, array, "value put", cancellationToken).ConfigureAwait(false);
    }

    private StoredObject Stored(ObjectId id, Type? arrayType, int length, long size) =>
        new() { Id = id, ArrayType = arrayType, Length = length, Size = size, Node = _nodeName, Store = _storeEndpoint };
}
