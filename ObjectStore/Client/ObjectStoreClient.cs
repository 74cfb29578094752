using System.Net;
using System.Runtime.CompilerServices;
using OrleansRay.ObjectStore.Arena;
using OrleansRay.ObjectStore.Client;
using OrleansRay.ObjectStore.Storage;

namespace OrleansRay.ObjectStore;

/// <summary>A client of the node's object store: puts objects into shared memory and reads them in place.</summary>
/// <remarks>
/// Connect to a store process with <see cref="ConnectAsync(string, CancellationToken)"/>, or to an embedded store with
/// <see cref="Hosting.EmbeddedObjectStore.Connect"/>. Thread-safe. Every <see cref="ObjectBuffer{T}"/> it returns
/// pins its object until disposed; the mapping stays alive until the client and all its buffers are disposed.
/// Disposing the client (or a client process dying) releases its pins and aborts its unsealed objects.
/// A socket client pipelines its calls on one connection and reads an object it has read before through a read lease
/// in shared memory, without a round trip; with <see cref="ObjectStoreClientOptions.WriteBehindPuts"/> small puts
/// return before the store has seen them (docs/adr/0020-store-fast-path.md).
/// </remarks>
public sealed class ObjectStoreClient : IAsyncDisposable, IPinOwner
{
    private readonly ArenaMapping _mapping;
    private readonly ArenaMapping? _leaseMapping;
    private readonly bool _ownsMapping;
    private readonly SocketChannel? _writeBehind;
    private int _references = 1; // the client itself + one per live buffer
    private int _disposed;

    internal ObjectStoreClient(IStoreChannel channel, ArenaMapping mapping, bool ownsMapping, ArenaMapping? leaseMapping = null, bool writeBehindPuts = false)
    {
        Channel = channel;
        _writeBehind = writeBehindPuts ? channel as SocketChannel : null;
        _mapping = mapping;
        _ownsMapping = ownsMapping;
        _leaseMapping = leaseMapping;
    }

    /// <summary>Usable bytes of the store's arena.</summary>
    public long Capacity => _mapping.Capacity;

    internal IStoreChannel Channel { get; }

    /// <summary>Connects to a store process through its Unix domain socket and maps its arena.</summary>
    /// <remarks>
    /// <c>prefault</c>: fill this process's page tables for the whole arena now (one madvise), instead of one page
    /// fault per 4 KiB on first touch (~0.3 s per GiB). Worth it for a long-lived client that writes large objects;
    /// it costs page-table memory (2 MiB per GiB of arena).
    /// </remarks>
    public static Task<ObjectStoreClient> ConnectAsync(string socketPath, CancellationToken cancellationToken = default) =>
        ConnectAsync(socketPath, prefault: false, cancellationToken);

    /// <inheritdoc cref="ConnectAsync(string, CancellationToken)"/>
    public static Task<ObjectStoreClient> ConnectAsync(string socketPath, bool prefault, CancellationToken cancellationToken = default) =>
        ConnectAsync(socketPath, new ObjectStoreClientOptions { Prefault = prefault }, cancellationToken);

    /// <summary>Connects to a store process through its Unix domain socket and maps its arena, with <paramref name="options"/>
    /// (prefaulting, write-behind puts).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    public static async Task<ObjectStoreClient> ConnectAsync(string socketPath, ObjectStoreClientOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        ArgumentNullException.ThrowIfNull(options);
        var channel = await SocketChannel.ConnectAsync(socketPath, cancellationToken).ConfigureAwait(false);
        try
        {
            var mapping = ArenaMapping.Open(channel.ArenaPath, channel.Capacity, options.Prefault);
            return new ObjectStoreClient(channel, mapping, ownsMapping: true, channel.TakeLeaseMapping(), options.WriteBehindPuts);
        }
        catch
        {
            await channel.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Creates an object of <paramref name="size"/> bytes to be written in place and then sealed.</summary>
    /// <remarks>
    /// <c>primary</c>: true for an owner's copy (spilled under pressure, never dropped), false for a copy that may be evicted.
    /// <c>timeout</c>: how long to wait for room; null for the store's CreateTimeout.
    /// </remarks>
    /// <exception cref="ObjectAlreadyExistsException">The id exists.</exception>
    /// <exception cref="ObjectStoreFullException">No room could be made in time.</exception>
    public async ValueTask<ObjectWriter> CreateAsync(StoreObjectId id, long size, bool primary = true, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, int.MaxValue);
        var offset = await Channel.CreateAsync(id, size, primary, timeout, cancellationToken).ConfigureAwait(false);
        _mapping.CheckRange(offset, size);
        return NewWriter(id, offset, (int)size);
    }

    /// <summary>Copies <paramref name="data"/> into a new sealed object.</summary>
    /// <remarks>With <see cref="ObjectStoreClientOptions.WriteBehindPuts"/>, an object of 1 byte to 4 KiB is written into a
    /// block the store reserved for this client and its seal is sent after the call returns (see that option).</remarks>
    /// <exception cref="ObjectAlreadyExistsException">The id exists (for a write-behind put: an earlier put's id existed; see <see cref="FlushAsync"/>).</exception>
    public ValueTask PutAsync(StoreObjectId id, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
        PutAsync<byte>(id, data, cancellationToken);

    /// <summary>Copies an array of unmanaged values into a new sealed object (readable as <see cref="ObjectBuffer{T}"/>).</summary>
    public async ValueTask PutAsync<T>(StoreObjectId id, ReadOnlyMemory<T> data, CancellationToken cancellationToken = default)
        where T : unmanaged
    {
        ThrowIfDisposed();
        var bytes = (long)data.Length * Unsafe.SizeOf<T>();
        if (_writeBehind is { } behind && bytes is > 0 and <= StoreCore.MaxReservedBlock)
        {
            behind.ThrowIfDeferredFailure(); // and throws once the connection broke: a reserved block is gone with it
            var block = ArenaAllocator.AlignedSize(bytes);
            if (behind.TryTakeReserved(block, out var offset)
                || (await behind.ReserveAsync(block, (int)Math.Clamp(16384 / block, 4, 256), cancellationToken).ConfigureAwait(false) && behind.TryTakeReserved(block, out offset)))
            {
                // The fast path: copy into shared memory, queue the seal; no round trip (docs/adr/0020).
                System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.Span).CopyTo(_mapping.GetSpan(offset, (int)bytes));
                behind.QueueSeal(id, offset, bytes, primary: true);
                return;
            }
        }

        if (bytes <= Protocol.ProtocolLimits.MaxInlinePut)
        {
            // Small: the bytes ride in the request, one round trip instead of create + seal.
            await Channel.PutSmallAsync(id, AsBytes(data), primary: true, cancellationToken).ConfigureAwait(false);
            return;
        }

        var writer = await CreateAsync(id, bytes, primary: true, timeout: null, cancellationToken).ConfigureAwait(false);
        await using (writer.ConfigureAwait(false))
        {
            Copy(data.Span, writer);
            await writer.SealAsync(cancellationToken).ConfigureAwait(false);
        }

        static void Copy(ReadOnlySpan<T> source, ObjectWriter destination) => ParallelCopy.Copy(System.Runtime.InteropServices.MemoryMarshal.AsBytes(source), destination.Span);
    }

    /// <summary>Waits up to <paramref name="timeout"/> for the object to be sealed and returns a zero-copy view of its bytes.</summary>
    /// <exception cref="TimeoutException">The object was not sealed here in time.</exception>
    public ValueTask<ObjectBuffer<byte>> GetAsync(StoreObjectId id, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        GetAsync<byte>(id, timeout, cancellationToken);

    /// <summary>Waits up to <paramref name="timeout"/> for the object and returns a zero-copy view of it as elements of <typeparamref name="T"/>.</summary>
    /// <exception cref="TimeoutException">The object was not sealed here in time.</exception>
    /// <exception cref="InvalidCastException">The object's size is not a multiple of the element size.</exception>
    public async ValueTask<ObjectBuffer<T>> GetAsync<T>(StoreObjectId id, TimeSpan timeout, CancellationToken cancellationToken = default)
        where T : unmanaged
    {
        ThrowIfDisposed();

        // Holds the mappings for the call: a dispose racing it must not unmap the lease table or the arena under it.
        if (!TryAddReference())
        {
            ThrowDisposed();
        }

        try
        {
            // The fast path: a read lease from an earlier get of this id, still valid: no round trip (docs/adr/0020).
            if (!Channel.TryReadLeased(id, out var location))
            {
                location = (await Channel.GetAsync([id], timeout, cancellationToken).ConfigureAwait(false))[0]
                    ?? throw new TimeoutException($"Object {id} was not available in the object store within {timeout.TotalSeconds:0.###} s.");
            }

            if (location.Size % Unsafe.SizeOf<T>() != 0)
            {
                Unpin(id, location);
                throw new InvalidCastException($"Object {id} is {location.Size} bytes, not a whole number of {typeof(T).Name} ({Unsafe.SizeOf<T>()} bytes).");
            }

            return Wrap<T>(id, location);
        }
        finally
        {
            DropReference();
        }
    }

    /// <summary>Waits up to <paramref name="timeout"/> (shared) for all objects; returns a view per id, null for those not sealed in time.</summary>
    public async ValueTask<ObjectBuffer<byte>?[]> GetManyAsync(IReadOnlyList<StoreObjectId> ids, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(ids);
        var locations = await Channel.GetAsync(ids, timeout, cancellationToken).ConfigureAwait(false);
        var buffers = new ObjectBuffer<byte>?[locations.Length];
        for (var i = 0; i < locations.Length; i++)
        {
            buffers[i] = locations[i] is { } location ? Wrap<byte>(ids[i], location) : null;
        }

        return buffers;
    }

    /// <summary>True when the object is sealed in this store (in memory or spilled).</summary>
    public ValueTask<bool> ContainsAsync(StoreObjectId id, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return Channel.ContainsAsync(id, cancellationToken);
    }

    /// <summary>Where each object is in this store now: in memory, spilled to disk, or absent (Ray's <c>ray memory</c>
    /// spilled column). One request for up to 1,024 ids; it reads the store's table only (nothing is restored or pinned),
    /// so the answer can be stale a moment later.</summary>
    /// <returns>One <see cref="ObjectResidency"/> per id, in the order of <paramref name="ids"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="ids"/> is empty or names more than 1,024 ids: split the batch.</exception>
    public ValueTask<ObjectResidency[]> GetResidencyAsync(IReadOnlyList<StoreObjectId> ids, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count is 0 or > Protocol.ProtocolLimits.MaxIdsPerRequest)
        {
            throw new ArgumentException($"A residency request names 1..{Protocol.ProtocolLimits.MaxIdsPerRequest} ids, not {ids.Count}; split larger batches.", nameof(ids));
        }

        return Channel.GetResidencyAsync(ids, cancellationToken);
    }

    /// <summary>Deletes an object; its memory is freed when the last reader disposes its buffer. Returns false when it was absent.</summary>
    public async ValueTask<bool> DeleteAsync(StoreObjectId id, CancellationToken cancellationToken = default) =>
        await DeleteAsync([id], cancellationToken).ConfigureAwait(false) == 1;

    /// <summary>Deletes objects (up to 1024 per call); returns how many were present.</summary>
    public ValueTask<int> DeleteAsync(IReadOnlyList<StoreObjectId> ids, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(ids);
        return Channel.DeleteAsync(ids, cancellationToken);
    }

    public ValueTask<ObjectStoreStats> GetStatsAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return Channel.GetStatsAsync(cancellationToken);
    }

    /// <summary>Has this client's store pull an object from a peer store's transfer endpoint, as a secondary copy.</summary>
    /// <remarks>Returns at once when the object is already here; concurrent pulls of one id share one transfer.</remarks>
    /// <exception cref="ObjectTransferException">The peer died, lacks the object, or the transfer broke; retry from another copy.</exception>
    public ValueTask PullAsync(StoreObjectId id, IPEndPoint remote, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(remote);
        return Channel.PullAsync(id, remote, timeout ?? TimeSpan.FromMinutes(5), cancellationToken);
    }

    /// <summary>Waits until the store has applied every write-behind put this client returned from, and throws the first
    /// failure among them (<see cref="ObjectAlreadyExistsException"/> for an id that existed). Returns at once for a client
    /// without <see cref="ObjectStoreClientOptions.WriteBehindPuts"/>, whose puts are acknowledged one by one.</summary>
    public ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return _writeBehind?.FlushAsync(cancellationToken) ?? ValueTask.CompletedTask;
    }

    /// <summary>Closes the connection (releasing its pins in the store); the mapping goes when the last buffer is disposed.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await Channel.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            DropReference(); // the mappings go with the last buffer, whatever closing the connection ran into
        }
    }

    /// <summary>The client's own reference plus one per live buffer or get in progress (for tests).</summary>
    internal int References => Volatile.Read(ref _references);

    void IPinOwner.ReleasePin(StoreObjectId id, ObjectLocation location)
    {
        // A lease word stays mapped until the last buffer goes (DropReference), so a reader may always drop itself;
        // after the client closed, the store has dropped the session's leases and pins already.
        if (location.LeaseSlot >= 0 || Volatile.Read(ref _disposed) == 0)
        {
            Unpin(id, location);
        }

        DropReference();
    }

    private void Unpin(StoreObjectId id, ObjectLocation location)
    {
        if (location.LeaseSlot >= 0)
        {
            Channel.ReleaseLease(id, location);
        }
        else
        {
            Channel.Release(id);
        }
    }

    private static ReadOnlyMemory<byte> AsBytes<T>(ReadOnlyMemory<T> data)
        where T : unmanaged
    {
        if (typeof(T) == typeof(byte))
        {
            return Unsafe.As<ReadOnlyMemory<T>, ReadOnlyMemory<byte>>(ref data);
        }

        return System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.Span).ToArray();
    }

    private unsafe ObjectWriter NewWriter(StoreObjectId id, long offset, int size) =>
        new(this, id, (nint)(_mapping.Pointer + offset), size);

    private unsafe ObjectBuffer<T> Wrap<T>(StoreObjectId id, ObjectLocation location)
        where T : unmanaged
    {
        _mapping.CheckRange(location.Offset, location.Size);
        Interlocked.Increment(ref _references);
        return ObjectBuffer<T>.FromStore(id, location, (T*)(_mapping.Pointer + location.Offset), (int)(location.Size / sizeof(T)), this);
    }

    /// <summary>A reference that keeps the mappings alive; false once the last one went (they are unmapped).</summary>
    private bool TryAddReference()
    {
        var count = Volatile.Read(ref _references);
        while (count > 0)
        {
            var seen = Interlocked.CompareExchange(ref _references, count + 1, count);
            if (seen == count)
            {
                return true;
            }

            count = seen;
        }

        return false;
    }

    private void DropReference()
    {
        if (Interlocked.Decrement(ref _references) == 0 && _ownsMapping)
        {
            _mapping.Dispose();
            _leaseMapping?.Dispose();
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void ThrowDisposed() => throw new ObjectDisposedException(GetType().FullName);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
