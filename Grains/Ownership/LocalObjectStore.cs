using System.Collections;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Orleans.Serialization;
using Orleans.Serialization.Codecs;
using OrleansRay.ObjectStore;
using OrleansRay.ObjectStore.Client;

using OrleansRay.Transport;

namespace OrleansRay.Ownership;

/// <summary>The node runtime's side of the node's object store: decides which values are large, puts them into the
/// store (raw bytes for arrays of primitives, Orleans-serialized otherwise), reads them back, and deletes freed ones.</summary>
/// <remarks>
/// Values up to <see cref="NodeRuntimeOptions.InlineThreshold"/> stay in the owner's memory exactly as before; the size
/// check is a few type tests (no serialization), so the small-value hot path does not pay for the store.
/// </remarks>
internal sealed partial class LocalObjectStore : IObjectStorePuts
{
    /// <summary>How long a read waits for an object the owner recorded as stored (it is sealed already; this only
    /// bounds a restore from spill that must first make room).</summary>
    public static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(60);

    private readonly Serializer _serializer;
    private readonly ILogger<LocalObjectStore> _logger;
    private readonly long _threshold;

    /// <summary>Connects the runtime to a running store.</summary>
    /// <param name="client">A client of the store (owned: disposed by whoever started the store).</param>
    /// <param name="endpoint">The store's peer-transfer endpoint, "address:port": its identity in <see cref="StoredObject.Store"/>.</param>
    /// <param name="options">The node's settings (the inline threshold).</param>
    /// <param name="serializer">Serializes values that are not raw arrays.</param>
    /// <param name="logger">Logs failed deletes and puts.</param>
    public LocalObjectStore(ObjectStoreClient client, string endpoint, NodeRuntimeOptions options, Serializer serializer, ILogger<LocalObjectStore> logger)
    {
        Client = client;
        Endpoint = endpoint;
        _serializer = serializer;
        _logger = logger;
        _threshold = options.InlineThreshold;
    }

    public ObjectStoreClient Client { get; }

    /// <summary>The store's peer-transfer endpoint, "address:port": where other nodes pull its objects from, and the
    /// identity objects stored here carry (<see cref="StoredObject.Store"/>).</summary>
    public string Endpoint { get; }

    /// <summary>The store's Unix socket, through which other processes on this machine connect to it (null for a store
    /// inside this process that nothing else maps).</summary>
    public string? SocketPath { get; init; }

    /// <summary>The name of the node this store belongs to, for messages (set when the node learns its id).</summary>
    public string NodeName { get; set; } = "this node";

    /// <summary>True when the primary or a secondary copy of <paramref name="stored"/> is (to be read) in this store:
    /// it was put here, or it is elsewhere and gets pulled here.</summary>
    public bool Holds(StoredObject stored) => string.Equals(stored.Store, Endpoint, StringComparison.Ordinal);

    public long InlineThreshold => _threshold;

    /// <summary>True when <paramref name="value"/> is measurably above the inline threshold: strings by length,
    /// arrays and collections by element count. Anything else (scalars, records) stays inline, and so does a collection
    /// whose elements could hold an ObjectRef or ActorHandle: refs inside a serialized value would not count as
    /// references while it sits in the store, and their objects could be freed under it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsLarge(object? value) => IsLarge(value, _threshold);

    /// <summary><see cref="IsLarge(object?)"/> for a given threshold (also used where a node has no store).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsLarge(object? value, long threshold) =>
        value is PackedValue packed
            ? packed.Refs is null && packed.Bytes.Length > threshold // refs it carries must stay live: it stays inline
            : value is string or Array or ICollection && Estimate(value) > threshold && (value is string || ValueShapes.CannotHoldRefs(value.GetType()));

    private static long Estimate(object value) => value switch
    {
        string s => s.Length, // UTF-8 on the wire: at least one byte per char
        Array a when IsRawArray(a) => RawSize(a),
        Array a => a.LongLength * 8,
        ICollection c => (long)c.Count * 8,
        _ => 0,
    };

    /// <summary>A 1-D, zero-based array of primitive elements: stored as its raw bytes, viewable as ObjectBuffer&lt;T&gt;.</summary>
    public static bool IsRawArray(Array array)
    {
        var type = array.GetType();
        return type.IsSZArray && type.GetElementType()!.IsPrimitive;
    }

    /// <summary>Bytes of a raw array's elements (long: a double[] may pass 2 GiB, which the store then refuses clearly).</summary>
    public static long RawSize(Array array) => array.LongLength * (Type.GetTypeCode(array.GetType().GetElementType()) switch
    {
        TypeCode.Boolean or TypeCode.Byte or TypeCode.SByte => 1,
        TypeCode.Char or TypeCode.Int16 or TypeCode.UInt16 => 2,
        TypeCode.Int32 or TypeCode.UInt32 or TypeCode.Single => 4,
        TypeCode.Int64 or TypeCode.UInt64 or TypeCode.Double => 8,
        _ => IntPtr.Size,
    });

    /// <summary>Puts a large value into the store as object <paramref name="id"/>.</summary>
    /// <exception cref="ArgumentException">The value cannot be serialized (names the type), or is over 2 GiB.</exception>
    /// <exception cref="ObjectStoreFullException">No room could be made before the store's create timeout.</exception>
    public async ValueTask<StoredObject> PutAsync(ObjectId id, object value, string what, CancellationToken cancellationToken)
    {
        var storeId = ToStoreId(id);
        if (value is Array array && IsRawArray(array))
        {
            var size = RawSize(array);
            var writer = await CreateAsync(storeId, size, what, value, cancellationToken).ConfigureAwait(false);
            await using (writer.ConfigureAwait(false))
            {
                ParallelCopy.Copy(StoredBytes.RawBytes(array, (int)size), writer.Span);
                await writer.SealAsync(cancellationToken).ConfigureAwait(false);
            }

            return Stored(id, array.GetType(), array.Length, size);
        }

        var packed = value is PackedValue;
        var bytes = Serialize(value, what, _serializer);

        var serializedWriter = await CreateAsync(storeId, bytes.Length, what, value, cancellationToken).ConfigureAwait(false);
        await using (serializedWriter.ConfigureAwait(false))
        {
            ParallelCopy.Copy(bytes, serializedWriter.Span);
            await serializedWriter.SealAsync(cancellationToken).ConfigureAwait(false);
        }

        return Stored(id, arrayType: null, length: 0, bytes.Length) with { Packed = packed };
    }

    /// <summary>Puts a <typeparamref name="T"/>[<paramref name="length"/>] whose elements <paramref name="fill"/> writes
    /// straight into the store's memory (created, filled, sealed: no managed array, one write). If
    /// <paramref name="fill"/> throws, the created object is aborted and the exception propagates.</summary>
    /// <exception cref="ArgumentException">The array is over 2 GiB.</exception>
    public async ValueTask<StoredObject> PutFilledAsync<T, TState>(ObjectId id, int length, TState state, System.Buffers.SpanAction<T, TState> fill, CancellationToken cancellationToken)
        where T : unmanaged
    {
        var size = (long)length * Unsafe.SizeOf<T>();
        var writer = await CreateAsync(ToStoreId(id), size, "value put", typeof(T[]), cancellationToken).ConfigureAwait(false);
        await using (writer.ConfigureAwait(false))
        {
            try
            {
                fill(writer.GetSpan<T>()[..length], state);
            }
            catch (Exception ex)
            {
                try
                {
                    await writer.DisposeAsync().ConfigureAwait(false); // abort the object
                }
                catch (Exception abort) when (abort is ObjectStoreException or ObjectDisposedException or System.Net.Sockets.SocketException)
                {
                    // The store is gone: so is the unsealed object. The fill's own exception is the one to report.
                }

                throw new FillFailedException(ex);
            }

            await writer.SealAsync(cancellationToken).ConfigureAwait(false);
        }

        return Stored(id, typeof(T[]), length, size);
    }

    private StoredObject Stored(ObjectId id, Type? arrayType, int length, long size) =>
        new() { Id = id, ArrayType = arrayType, Length = length, Size = size, Node = NodeName, Store = Endpoint };

    private ValueTask<ObjectWriter> CreateAsync(StoreObjectId id, long size, string what, object value, CancellationToken cancellationToken) =>
        CreateAsync(id, size, what, value.GetType(), cancellationToken);

    /// <summary>Throws when an object of <paramref name="size"/> bytes is over a store object's 2 GiB.</summary>
    /// <exception cref="ArgumentException">It is (names the value and its type).</exception>
    public static void CheckSize(long size, string what, Type type)
    {
        if (size > int.MaxValue)
        {
            throw new ArgumentException($"The {what} of type {type.FullName} is {size} bytes; objects are at most {int.MaxValue} bytes (2 GiB). Split it into several objects.");
        }
    }

    /// <summary>The bytes a value that is not a raw array is stored as: a job's packed value as it is, else serialized.</summary>
    /// <exception cref="ArgumentException">The value cannot be serialized (names its type).</exception>
    public static byte[] Serialize(object value, string what, Serializer serializer)
    {
        try
        {
            // A job's value is serialized already, by its job's serializer: its bytes go in as they are.
            return value is PackedValue p ? p.Bytes : serializer.SerializeToArray<object>(value);
        }
        catch (Exception ex) when (ex is CodecNotFoundException or NotSupportedException or InvalidOperationException)
        {
            throw ValueCopier.Unserializable(value.GetType(), what, ex);
        }
    }

    private async ValueTask<ObjectWriter> CreateAsync(StoreObjectId id, long size, string what, Type type, CancellationToken cancellationToken)
    {
        CheckSize(size, what, type);

        try
        {
            return await Client.CreateAsync(id, size, primary: true, timeout: null, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectAlreadyExistsException)
        {
            // A re-run of the task that made it (a retry, or lineage reconstruction) on a node that pulled a secondary
            // copy of the lost original: replace that evictable copy with the new primary.
            await Client.DeleteAsync(id, cancellationToken).ConfigureAwait(false);
        }

        // The old copy goes once no reader pins it (a buffer a reader on this node has not disposed yet).
        var until = DateTime.UtcNow + PinnedCopyWait;
        while (true)
        {
            try
            {
                return await Client.CreateAsync(id, size, primary: true, timeout: null, cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectAlreadyExistsException) when (DateTime.UtcNow < until)
            {
                await Task.Delay(PinnedCopyPoll, cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectAlreadyExistsException ex)
            {
                throw new ObjectAlreadyExistsException($"Object {id} was made again (a retry, or a rebuild from its lineage), but this node's store still holds an old copy of it that a reader pins: an ObjectBuffer of it on this node was not disposed within {PinnedCopyWait.TotalSeconds:0} s. Dispose ObjectBuffers when done with them.", ex);
            }
        }
    }

    /// <summary>How long a re-made object waits for a pinned old copy of it on this node to go (<see cref="CreateAsync(StoreObjectId, long, string, Type, CancellationToken)"/>).</summary>
    private static readonly TimeSpan PinnedCopyWait = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan PinnedCopyPoll = TimeSpan.FromMilliseconds(50);

    /// <summary>Puts a task's or actor method's large result and completes <paramref name="entry"/> with it (or with the
    /// failure); runs inline when the store has room, which is the common case.</summary>
    public void StoreResult(ObjectEntry entry, object value, ObjectTable table)
    {
        ValueTask<StoredObject> put;
        try
        {
            put = PutAsync(entry.Id, value, "result", CancellationToken.None);
        }
        catch (Exception ex)
        {
            CompleteResult(entry, table, null, ex);
            return;
        }

        if (put.IsCompletedSuccessfully)
        {
            CompleteResult(entry, table, put.Result, null);
            return;
        }

        _ = AwaitResultAsync(entry, table, put);
    }

    private async Task AwaitResultAsync(ObjectEntry entry, ObjectTable table, ValueTask<StoredObject> put)
    {
        StoredObject? stored = null;
        Exception? failure = null;
        try
        {
            stored = await put.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            failure = ex;
        }

        CompleteResult(entry, table, stored, failure);
    }

    private void CompleteResult(ObjectEntry entry, ObjectTable table, StoredObject? stored, Exception? failure)
    {
        if (stored is not null)
        {
            if (!entry.TrySetStored(stored))
            {
                // Cancelled or failed meanwhile: the first completion wins and this copy is garbage.
                Delete(ToStoreId(stored.Id));
            }
        }
        else
        {
            LogResultNotStored(_logger, entry.Id, failure!.Message);
            var error = failure is ObjectStoreFullException full
                ? RayError.FromException(full.OnNode(NodeName), "storing a result")
                : RayError.FromException(new ObjectStoreException($"The result {entry.Id} could not be put into the node's object store: {failure.Message}", failure), "storing a result");
            entry.TrySetError(error);
        }

        table.DropIfOrphaned(entry);
    }

    /// <summary>Copies an object of this store out into a fresh value (readers get their own copy). Blocks only when
    /// the object must be restored from spill; call it from a worker thread.</summary>
    public object? Read(StoredObject stored)
    {
        var get = GetLocalAsync<byte>(stored, ReadTimeout, CancellationToken.None);
        using var buffer = get.IsCompletedSuccessfully ? get.Result : get.AsTask().GetAwaiter().GetResult();
        return StoredBytes.Decode(stored, buffer.Span, _serializer);
    }

    /// <summary>Copies an object of this store out into a fresh value.</summary>
    public async ValueTask<object?> ReadAsync(StoredObject stored, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var buffer = await GetLocalAsync<byte>(stored, timeout, cancellationToken).ConfigureAwait(false);
        return StoredBytes.Decode(stored, buffer.Span, _serializer);
    }

    /// <summary>A zero-copy view of a raw array in this store, pinned until the buffer is disposed.</summary>
    public ValueTask<ObjectBuffer<T>> GetBufferAsync<T>(StoredObject stored, TimeSpan timeout, CancellationToken cancellationToken)
        where T : unmanaged =>
        GetLocalAsync<T>(stored, timeout, cancellationToken);

    /// <summary>How long a read waits for an object this store does not have (it may be being written by a pull that
    /// is finishing) before it reports it missing; a spilled object instead gets the whole read timeout to come back.</summary>
    private static readonly TimeSpan MissingWait = TimeSpan.FromSeconds(1);

    /// <summary>Pins an object of this store: at once when it is in memory (the common case: one round trip); after its
    /// restore when it is spilled; and a missing one (deleted, or lost with a store that restarted) fails within
    /// <see cref="MissingWait"/> with a <see cref="TimeoutException"/> instead of waiting the whole timeout.</summary>
    private async ValueTask<ObjectBuffer<T>> GetLocalAsync<T>(StoredObject stored, TimeSpan timeout, CancellationToken cancellationToken)
        where T : unmanaged
    {
        var id = ToStoreId(stored.Id);
        try
        {
            // A zero wait answers from memory, or starts the restore of a spilled object.
            return await Client.GetAsync<T>(id, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }

        if (!await Client.ContainsAsync(id, cancellationToken).ConfigureAwait(false) && timeout > MissingWait)
        {
            timeout = MissingWait;
        }

        return await Client.GetAsync<T>(id, timeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes a freed object (fire-and-forget; the store defers the delete while readers pin it).</summary>
    public void Delete(StoreObjectId id)
    {
        try
        {
            var pending = Client.DeleteAsync(id);
            if (pending.IsCompleted)
            {
                _ = pending.Result;
                return;
            }

            _ = ObserveDeleteAsync(id, pending);
        }
        catch (Exception ex)
        {
            DeleteFailed(id, ex);
        }
    }

    private async Task ObserveDeleteAsync(StoreObjectId id, ValueTask<bool> pending)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            DeleteFailed(id, ex);
        }
    }

    public static StoreObjectId ToStoreId(ObjectId id) => new(id.Hi, id.Lo);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting object {StoreId} from the node's object store failed")]
    private static partial void LogDeleteFailed(ILogger logger, StoreObjectId storeId, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Object {StoreId} was not deleted: the node's object store is gone ({Reason}), and its objects with it")]
    private static partial void LogDeleteStoreGone(ILogger logger, StoreObjectId storeId, string reason);

    /// <summary>A delete that failed because the store is gone (its node died, or is stopping) is expected and harmless:
    /// only other failures are worth a warning.</summary>
    private void DeleteFailed(StoreObjectId id, Exception exception)
    {
        // A broken connection means the same: the store process went away (its node was killed, or a connected driver
        // gave its cluster up), and a warning with the socket's stack per freed object would only be noise.
        if (exception is ObjectDisposedException || exception.InnerException is OperationCanceledException or IOException or System.Net.Sockets.SocketException
            || (exception is ObjectStoreException && Client.Channel is SocketChannel { IsBroken: true }))
        {
            LogDeleteStoreGone(_logger, id, exception.Message);
            return;
        }

        LogDeleteFailed(_logger, id, exception);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The large result {ObjectId} could not be put into the node's object store: {Reason}")]
    private static partial void LogResultNotStored(ILogger logger, ObjectId objectId, string reason);
}

/// <summary>Carries the exception a put's fill callback threw, so the caller rethrows it as it was rather than mapping
/// it as a store failure.</summary>
internal sealed class FillFailedException(Exception inner) : Exception("The fill callback threw.", inner);
