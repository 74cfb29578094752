using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using OrleansRay.ObjectStore.Arena;
using OrleansRay.ObjectStore.Protocol;
using OrleansRay.ObjectStore.Storage;

namespace OrleansRay.ObjectStore.Client;

/// <summary>A channel over the store's Unix domain socket: pipelined requests matched to replies by request id.</summary>
/// <remarks>
/// Requests are small and sent synchronously under a lock, from a per-thread frame buffer; one background loop reads
/// replies into pooled <see cref="PendingCall"/>s, so a call allocates neither a Task nor a reply array. Any number of
/// calls may be in flight; each reply completes exactly the caller whose request id it carries.
/// Read leases (docs/adr/0020-store-fast-path.md): a get answered with a lease is remembered; the next get of that id
/// takes a reader on the lease word in shared memory and reads the arena without a round trip.
/// </remarks>
internal sealed class SocketChannel : IStoreChannel, IThreadPoolWorkItem
{
    private const int PoolLimit = 64;
    private readonly Socket _socket;
    private readonly object _sendLock = new();
    private readonly ConcurrentDictionary<uint, PendingCall> _pending = new();
    private readonly ConcurrentQueue<PendingCall> _pool = new();
    private readonly ConcurrentDictionary<StoreObjectId, ObjectLocation> _leased = new();
    private readonly ConcurrentDictionary<uint, (Opcode Op, object? Context)> _abandoned = new(); // cancelled gets/reserves whose grant must be given back
    private readonly object _leaseLock = new();
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _readLoop;
    private StoreObjectId?[] _slotIds = [];
    private ArenaMapping? _leaseMapping;
    private bool _leaseMappingTaken;
    private volatile Exception? _failure;
    private int _nextRequestId;
    private long _framesSent;

    // Write-behind puts (docs/adr/0020-store-fast-path.md): reserved blocks per aligned size, and the seal batch being filled.
    private readonly object _reserveLock = new();
    private readonly Dictionary<long, Stack<long>> _reserved = new();
    private readonly object _batchLock = new();
    private byte[] _batch = NewBatch();
    private byte[] _sending = NewBatch();
    private int _batchCount;
    private int _flushScheduled;
    private Exception? _deferredFailure;

    private SocketChannel(Socket socket)
    {
        _socket = socket;
        _readLoop = ReadLoopAsync();
    }

    public long Capacity { get; private set; }

    public string ArenaPath { get; private set; } = "";

    /// <summary>Calls in flight (for tests).</summary>
    internal int PendingCount => _pending.Count;

    /// <summary>Frames sent to the store so far (for tests: a fast-path get or put sends none).</summary>
    internal long FramesSent => Interlocked.Read(ref _framesSent);

    /// <summary>True once the connection broke (for tests).</summary>
    internal bool IsBroken => _failure is not null;

    /// <summary>Ids this client can read again without a round trip (for tests).</summary>
    internal int LeasedCount => _leased.Count;

    /// <summary>Hands the lease table's mapping to the client, which unmaps it with the arena once the last buffer is gone.</summary>
    public ArenaMapping? TakeLeaseMapping()
    {
        _leaseMappingTaken = true;
        return _leaseMapping;
    }

    public static async Task<SocketChannel> ConnectAsync(string socketPath, CancellationToken cancellationToken)
    {
        Socket socket;
        for (var attempt = 1; ; attempt++)
        {
            socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.TryAgain && attempt < 50)
            {
                // The store's accept backlog is full (a burst of connections): back off briefly and retry.
                socket.Dispose();
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(100, 5 * attempt)), cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        var channel = new SocketChannel(socket);
        try
        {
            var call = await channel.SendCallAsync(channel.Request(Opcode.Hello, out var id).WriteUInt32(ProtocolLimits.Version), id, cancellationToken).ConfigureAwait(false);
            string leasePath;
            int slots;
            try
            {
                channel.Capacity = Read(call.Reply, out var arenaPath, out leasePath, out slots);
                channel.ArenaPath = arenaPath;
            }
            finally
            {
                channel.Return(call);
            }

            if (leasePath.Length > 0)
            {
                if (slots is <= 0 or > LeaseTable.Slots)
                {
                    throw new ProtocolException($"Hello: a lease table of {slots} slots is out of range.");
                }

                channel._leaseMapping = ArenaMapping.Open(leasePath, slots * sizeof(long), prefault: false);
                channel._slotIds = new StoreObjectId?[slots];
            }

            return channel;
        }
        catch
        {
            await channel.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        static long Read(ReadOnlySpan<byte> reply, out string path, out string leasePath, out int slots)
        {
            var reader = new FrameReader(reply);
            var capacity = reader.ReadInt64();
            path = reader.ReadString();
            leasePath = reader.ReadString();
            slots = reader.ReadInt32();
            return capacity;
        }
    }

    private delegate T ReplyParser<T>(ReadOnlySpan<byte> reply, int expected);

    public ValueTask<long> CreateAsync(StoreObjectId id, long size, bool primary, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var frame = Request(Opcode.Create, out var requestId).WriteId(id).WriteInt64(size).WriteByte(primary ? (byte)1 : (byte)0).WriteTimeout(timeout);
        return CallAsync(frame, requestId, static (reply, _) => new FrameReader(reply).ReadInt64(), 0, cancellationToken);
    }

    public ValueTask PutSmallAsync(StoreObjectId id, ReadOnlyMemory<byte> data, bool primary, CancellationToken cancellationToken)
    {
        var frame = Request(Opcode.Put, out var requestId).WriteId(id).WriteByte(primary ? (byte)1 : (byte)0).WriteTimeout(null)
            .WriteUInt32((uint)data.Length).WriteBytes(data.Span);
        return CallAsync(frame, requestId, cancellationToken);
    }

    public ValueTask SealAsync(StoreObjectId id, CancellationToken cancellationToken) =>
        CallAsync(Request(Opcode.Seal, out var requestId).WriteId(id), requestId, cancellationToken);

    public ValueTask AbortAsync(StoreObjectId id) =>
        CallAsync(Request(Opcode.Abort, out var requestId).WriteId(id), requestId, CancellationToken.None);

    public async ValueTask<ObjectLocation?[]> GetAsync(IReadOnlyList<StoreObjectId> ids, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var frame = Request(Opcode.Get, out var requestId).WriteTimeout(timeout);
        WriteIds(frame, ids);
        var slots = _slotIds.Length;
        var locations = await CallAsync(frame, requestId, (reply, expected) => Parse(reply, expected, slots), ids.Count, cancellationToken, Opcode.Get, ids).ConfigureAwait(false);
        for (var i = 0; i < locations.Length; i++)
        {
            if (locations[i] is { LeaseSlot: >= 0 } leased)
            {
                Remember(ids[i], leased);
            }
        }

        return locations;
    }

    private static ObjectLocation?[] Parse(ReadOnlySpan<byte> reply, int expected, int slots)
    {
        var reader = new FrameReader(reply);
        var count = reader.ReadUInt16();
        if (count != expected)
        {
            throw new ObjectStoreException($"The store answered {count} locations for {expected} ids.");
        }

        var results = new ObjectLocation?[count];
        for (var i = 0; i < count; i++)
        {
            var found = reader.ReadByte();
            var offset = reader.ReadInt64();
            var size = reader.ReadInt64();
            var slot = reader.ReadInt32();
            var generation = reader.ReadInt64();
            results[i] = found switch
            {
                0 => null,
                1 => new ObjectLocation(offset, size),
                2 when (uint)slot < (uint)slots => new ObjectLocation(offset, size, slot, generation),
                _ => throw new ProtocolException($"Get: location kind {found} with lease slot {slot} is invalid."),
            };
        }

        return results;
    }

    /// <summary>A reader on a remembered lease of <paramref name="id"/>: the object's location, without asking the store.</summary>
    public bool TryReadLeased(StoreObjectId id, out ObjectLocation location)
    {
        // Not once the connection broke: a dead store's objects are gone for the runtime (lost, to be rebuilt), even though
        // this process's mapping still holds their bytes; the get then fails as any call on a broken connection does.
        if (_failure is null && _leased.TryGetValue(id, out location) && LeaseWord.TryAcquire(ref Word(location.LeaseSlot), location.LeaseGeneration))
        {
            return true;
        }

        location = default;
        return false;
    }

    /// <summary>Drops a reader of a lease; the last reader of a revoked lease returns it to the store.</summary>
    public void ReleaseLease(StoreObjectId id, ObjectLocation location)
    {
        if (!LeaseWord.Release(ref Word(location.LeaseSlot)))
        {
            return;
        }

        _leased.TryRemove(new KeyValuePair<StoreObjectId, ObjectLocation>(id, location));
        SendNoReply(FrameWriter.ForThisThread((byte)Opcode.LeaseDone, 0).WriteInt32(location.LeaseSlot).WriteInt64(location.LeaseGeneration));
    }

    public void Release(StoreObjectId id) =>
        SendNoReply(FrameWriter.ForThisThread((byte)Opcode.Release, 0).WriteId(id)); // request id 0: no reply

    public ValueTask<int> DeleteAsync(IReadOnlyList<StoreObjectId> ids, CancellationToken cancellationToken)
    {
        var frame = Request(Opcode.Delete, out var requestId);
        WriteIds(frame, ids);
        return CallAsync(frame, requestId, static (reply, _) => new FrameReader(reply).ReadInt32(), 0, cancellationToken);
    }

    public ValueTask<bool> ContainsAsync(StoreObjectId id, CancellationToken cancellationToken) =>
        CallAsync(Request(Opcode.Contains, out var requestId).WriteId(id), requestId, static (reply, _) => new FrameReader(reply).ReadByte() == 1, 0, cancellationToken);

    public ValueTask<ObjectResidency[]> GetResidencyAsync(IReadOnlyList<StoreObjectId> ids, CancellationToken cancellationToken)
    {
        var frame = Request(Opcode.Residency, out var requestId);
        WriteIds(frame, ids);
        return CallAsync(frame, requestId, Parse, ids.Count, cancellationToken);

        static ObjectResidency[] Parse(ReadOnlySpan<byte> reply, int expected)
        {
            var reader = new FrameReader(reply);
            var count = reader.ReadUInt16();
            if (count != expected)
            {
                throw new ProtocolException($"Residency: {count} answers for {expected} ids.");
            }

            var answer = new ObjectResidency[count];
            for (var i = 0; i < count; i++)
            {
                var place = reader.ReadByte();
                answer[i] = place <= (byte)ObjectResidency.Spilled ? (ObjectResidency)place : throw new ProtocolException($"Residency: unknown place {place}.");
            }

            return answer;
        }
    }

    public ValueTask<ObjectStoreStats> GetStatsAsync(CancellationToken cancellationToken) =>
        CallAsync(Request(Opcode.Stats, out var requestId), requestId, static (reply, _) =>
        {
            var reader = new FrameReader(reply);
            return StatsCodec.Read(ref reader);
        }, 0, cancellationToken);

    public ValueTask PullAsync(StoreObjectId id, IPEndPoint remote, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var address = remote.Address.GetAddressBytes();
        var frame = Request(Opcode.Pull, out var requestId).WriteId(id).WriteByte((byte)address.Length).WriteBytes(address)
            .WriteUInt16((ushort)remote.Port).WriteTimeout(timeout);
        return CallAsync(frame, requestId, cancellationToken);
    }

    /// <summary>A block reserved earlier for an object of this aligned size, if one is left.</summary>
    public bool TryTakeReserved(long alignedSize, out long offset)
    {
        lock (_reserveLock)
        {
            offset = 0;
            return _failure is null && _reserved.TryGetValue(alignedSize, out var stack) && stack.TryPop(out offset);
        }
    }

    /// <summary>Asks the store for up to <paramref name="count"/> blocks of <paramref name="alignedSize"/>; false when it had none to give.</summary>
    public async ValueTask<bool> ReserveAsync(long alignedSize, int count, CancellationToken cancellationToken)
    {
        var frame = Request(Opcode.Reserve, out var requestId).WriteUInt32((uint)alignedSize).WriteUInt16((ushort)count);
        var offsets = await CallAsync(frame, requestId, static (reply, _) =>
        {
            var reader = new FrameReader(reply);
            var answer = new long[reader.ReadUInt16()];
            for (var i = 0; i < answer.Length; i++)
            {
                answer[i] = reader.ReadInt64();
            }

            reader.EnsureEnd();
            return answer;
        }, 0, cancellationToken, Opcode.Reserve, alignedSize).ConfigureAwait(false);
        GiveBack(alignedSize, offsets);
        return offsets.Length > 0;
    }

    /// <summary>Keeps reserved blocks for later puts (none once the connection broke: the store freed them with the session).</summary>
    private void GiveBack(long alignedSize, long[] offsets)
    {
        lock (_reserveLock)
        {
            if (_failure is not null)
            {
                return;
            }

            if (!_reserved.TryGetValue(alignedSize, out var stack))
            {
                _reserved[alignedSize] = stack = new Stack<long>(offsets.Length);
            }

            foreach (var offset in offsets)
            {
                stack.Push(offset);
            }
        }
    }

    /// <summary>Queues the seal of an object written into a reserved block; sent at once when the channel is idle, batched under load.</summary>
    public void QueueSeal(StoreObjectId id, long offset, long size, bool primary)
    {
        while (true)
        {
            lock (_batchLock)
            {
                if (_batchCount < ProtocolLimits.MaxSealBatch)
                {
                    var item = _batch.AsSpan(BatchHeader + (_batchCount * ProtocolLimits.SealItemSize), ProtocolLimits.SealItemSize);
                    id.WriteTo(item);
                    item[StoreObjectId.Size] = primary ? (byte)1 : (byte)0;
                    System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(item[(StoreObjectId.Size + 1)..], offset);
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(item[(StoreObjectId.Size + 9)..], (uint)size);
                    _batchCount++;
                    break;
                }
            }

            // A full batch: the writer sends it itself (backpressure), then queues into the empty one.
            lock (_sendLock)
            {
                FlushBatchLocked();
            }
        }

        if (Interlocked.Exchange(ref _flushScheduled, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false); // the channel is its own work item: no allocation
        }
    }

    /// <summary>Throws (once) the first failure the store reported for a write-behind put of this client.</summary>
    public void ThrowIfDeferredFailure()
    {
        if (Interlocked.Exchange(ref _deferredFailure, null) is { } failure)
        {
            throw failure;
        }

        ThrowIfBroken();
    }

    /// <summary>Throws once the connection broke: a write-behind put must not report success for an object the store will never see.</summary>
    public void ThrowIfBroken()
    {
        if (_failure is { } failure)
        {
            throw Closed(failure);
        }
    }

    private static ObjectStoreException Closed(Exception failure) =>
        new($"The connection to the object store is closed: {failure.Message}", failure);

    /// <summary>Sends the queued seals and waits until the store has applied them; throws the first failure among them.</summary>
    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        await CallAsync(Request(Opcode.Sync, out var requestId), requestId, cancellationToken).ConfigureAwait(false);
        ThrowIfDeferredFailure();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_failure is null)
            {
                lock (_sendLock)
                {
                    FlushBatchLocked(); // puts this client returned from reach the store before the connection closes
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or ObjectStoreException)
        {
            // The connection is gone already: so is the session, with its reserved blocks (and the queued seals' objects).
        }

        await _closing.CancelAsync().ConfigureAwait(false);
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Not connected any more.
        }

        _socket.Dispose();
        await _readLoop.ConfigureAwait(false);
        _closing.Dispose();
        if (!_leaseMappingTaken)
        {
            _leaseMapping?.Dispose();
        }
    }

    private const int BatchHeader = 4 + ProtocolLimits.HeaderSize + 2;

    private static byte[] NewBatch() => new byte[BatchHeader + (ProtocolLimits.MaxSealBatch * ProtocolLimits.SealItemSize)];

    /// <summary>The scheduled flush of queued seals (<see cref="IThreadPoolWorkItem"/>).</summary>
    void IThreadPoolWorkItem.Execute() => FlushScheduled();

    private void FlushScheduled()
    {
        Volatile.Write(ref _flushScheduled, 0);
        try
        {
            lock (_sendLock)
            {
                FlushBatchLocked();
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or ObjectStoreException)
        {
            // The connection broke: the read loop fails every call, and the next put reports it.
        }
    }

    /// <summary>Sends the queued seals (the caller holds the send lock, so they go before any later request).</summary>
    private void FlushBatchLocked()
    {
        byte[] batch;
        int count;
        lock (_batchLock)
        {
            if (_batchCount == 0)
            {
                return;
            }

            batch = _batch;
            count = _batchCount;
            _batch = _sending;
            _sending = batch;
            _batchCount = 0;
        }

        var length = BatchHeader + (count * ProtocolLimits.SealItemSize);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(batch, (uint)(length - 4));
        batch[4] = (byte)Opcode.SealBatch;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(batch.AsSpan(5), 0); // no reply
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(batch.AsSpan(9), (ushort)count);
        SendLocked(batch.AsSpan(0, length));
    }

    private void SendLocked(ReadOnlySpan<byte> bytes)
    {
        if (_failure is { } failure)
        {
            throw Closed(failure);
        }

        _framesSent++; // under the send lock
        while (!bytes.IsEmpty)
        {
            bytes = bytes[_socket.Send(bytes, SocketFlags.None)..];
        }
    }

    /// <summary>Keeps queued seals from being sent by the scheduled flush, as if the thread pool had not run it yet (for tests).</summary>
    internal void HoldScheduledFlush() => Volatile.Write(ref _flushScheduled, 1);

    /// <summary>Drops the connection as a crashed client would: nothing flushed, nothing released (for tests).</summary>
    internal void Abort()
    {
        _socket.Close(0);
    }

    private static void WriteIds(FrameWriter frame, IReadOnlyList<StoreObjectId> ids)
    {
        if (ids.Count is 0 or > ProtocolLimits.MaxIdsPerRequest)
        {
            throw new ArgumentException($"A request names 1..{ProtocolLimits.MaxIdsPerRequest} ids, not {ids.Count}.", nameof(ids));
        }

        frame.WriteUInt16((ushort)ids.Count);
        foreach (var id in ids)
        {
            frame.WriteId(id);
        }
    }

    private unsafe ref long Word(int slot) => ref ((long*)_leaseMapping!.Pointer)[slot];

    private void Remember(StoreObjectId id, ObjectLocation location)
    {
        lock (_leaseLock)
        {
            // The slot's previous lease is over (the store granted it again): forget the id it was for.
            if (_slotIds[location.LeaseSlot] is { } previous && previous != id
                && _leased.TryGetValue(previous, out var old) && old.LeaseSlot == location.LeaseSlot)
            {
                _leased.TryRemove(new KeyValuePair<StoreObjectId, ObjectLocation>(previous, old));
            }

            _slotIds[location.LeaseSlot] = id;
            _leased[id] = location;
        }
    }

    private FrameWriter Request(Opcode op, out uint requestId)
    {
        requestId = (uint)Interlocked.Increment(ref _nextRequestId);
        if (requestId == 0)
        {
            requestId = (uint)Interlocked.Increment(ref _nextRequestId);
        }

        return FrameWriter.ForThisThread((byte)op, requestId);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<T> CallAsync<T>(FrameWriter frame, uint requestId, ReplyParser<T> parse, int expected, CancellationToken cancellationToken, Opcode op = Opcode.Hello, object? context = null)
    {
        var call = await SendCallAsync(frame, requestId, cancellationToken, op, context).ConfigureAwait(false);
        try
        {
            return parse(call.Reply, expected);
        }
        finally
        {
            Return(call);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask CallAsync(FrameWriter frame, uint requestId, CancellationToken cancellationToken) =>
        Return(await SendCallAsync(frame, requestId, cancellationToken).ConfigureAwait(false));

    /// <summary>Sends one request and waits for its reply; the caller returns the call to the pool after reading it.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<PendingCall> SendCallAsync(FrameWriter frame, uint requestId, CancellationToken cancellationToken, Opcode op = Opcode.Hello, object? context = null)
    {
        // A call already cancelled is not sent: the store would grant a get's pin or lease that nobody takes.
        cancellationToken.ThrowIfCancellationRequested();
        if (!_pool.TryDequeue(out var call))
        {
            call = new PendingCall();
        }

        call.RequestId = requestId;
        call.Op = op;
        call.Context = context;
        _pending[requestId] = call;
        try
        {
            Send(frame);
        }
        catch
        {
            if (_pending.TryRemove(new KeyValuePair<uint, PendingCall>(requestId, call)))
            {
                Return(call);
            }

            throw;
        }

        if (cancellationToken.CanBeCanceled)
        {
            call.Owner = this;
            call.Watch(cancellationToken.UnsafeRegister(static (state, token) => ((PendingCall)state!).Owner!.Cancel((PendingCall)state, token), call));
        }

        try
        {
            await call.Task.ConfigureAwait(false);
        }
        catch
        {
            Return(call);
            throw;
        }

        return call;
    }

    internal void Cancel(PendingCall call, CancellationToken token)
    {
        // A get or reserve the store may still grant: recorded first, so a reply arriving after the call left the
        // pending table finds it and the read loop gives back what it carries.
        var requestId = call.RequestId;
        var givesBack = call.Op is Opcode.Get or Opcode.Reserve;
        if (givesBack)
        {
            _abandoned[requestId] = (call.Op, call.Context);
        }

        if (_pending.TryRemove(new KeyValuePair<uint, PendingCall>(requestId, call)))
        {
            if (_failure is not null)
            {
                _abandoned.Clear();
            }

            call.Fail(new OperationCanceledException(token));
        }
        else if (givesBack)
        {
            _abandoned.TryRemove(requestId, out _); // the reply (or the failure) won: its caller has it
        }
    }

    private void Return(PendingCall call)
    {
        call.Reset();
        if (_pool.Count < PoolLimit)
        {
            _pool.Enqueue(call);
        }
    }

    /// <summary>A request without a reply (a release): a failed send means the connection is gone, and with it every pin.</summary>
    private void SendNoReply(FrameWriter frame)
    {
        try
        {
            Send(frame);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or ObjectStoreException)
        {
            // The store releases a closed connection's pins and leases itself.
        }
    }

    private void Send(FrameWriter frame)
    {
        if (_failure is { } failure)
        {
            throw Closed(failure);
        }

        var bytes = frame.ToMemory().Span;
        lock (_sendLock)
        {
            FlushBatchLocked(); // queued seals first: a later request sees every put this client returned from
            SendLocked(bytes);
        }
    }

    private async Task ReadLoopAsync()
    {
        await Task.Yield();
        var receiver = new FrameReceiver(_socket, ProtocolLimits.MaxReplyPayload);
        Exception failure = new ObjectStoreException("The object store closed the connection.");
        try
        {
            while (await receiver.ReceiveAsync(_closing.Token).ConfigureAwait(false) is { } payload)
            {
                Dispatch(payload.Span);
            }
        }
        catch (Exception ex) when (ex is ProtocolException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            failure = new ObjectStoreException($"The connection to the object store broke: {ex.Message}", ex);
        }

        _failure = failure;
        _leased.Clear();
        _abandoned.Clear();
        lock (_reserveLock)
        {
            _reserved.Clear(); // the store freed them with the session: a put into one would be lost
        }

        foreach (var requestId in _pending.Keys)
        {
            if (_pending.TryRemove(requestId, out var call))
            {
                call.Fail(failure);
            }
        }
    }

    private void Dispatch(ReadOnlySpan<byte> payload)
    {
        var reader = new FrameReader(payload);
        var status = (ReplyStatus)reader.ReadByte();
        var requestId = reader.ReadUInt32();
        if (requestId == 0 && status != ReplyStatus.Ok)
        {
            // A write-behind put the store refused: reported by this client's next put or flush.
            Interlocked.CompareExchange(ref _deferredFailure, ReplyErrors.ToException(status, reader.ReadString()), null);
            return;
        }

        if (!_pending.TryRemove(requestId, out var call))
        {
            // The caller gave up (cancelled): give back what the store granted it.
            if (_abandoned.TryRemove(requestId, out var abandoned) && status == ReplyStatus.Ok)
            {
                GiveBackAbandoned(abandoned.Op, abandoned.Context, payload[ProtocolLimits.HeaderSize..]);
            }

            return;
        }

        if (status == ReplyStatus.Ok)
        {
            call.Complete(payload[ProtocolLimits.HeaderSize..]);
        }
        else
        {
            call.Fail(ReplyErrors.ToException(status, reader.ReadString()));
        }
    }

    /// <summary>A cancelled get's pins and lease readers are released, a cancelled reservation's blocks kept for later puts.</summary>
    private void GiveBackAbandoned(Opcode op, object? context, ReadOnlySpan<byte> reply)
    {
        try
        {
            if (op == Opcode.Reserve && context is long alignedSize)
            {
                var reader = new FrameReader(reply);
                var offsets = new long[reader.ReadUInt16()];
                for (var i = 0; i < offsets.Length; i++)
                {
                    offsets[i] = reader.ReadInt64();
                }

                GiveBack(alignedSize, offsets);
            }
            else if (op == Opcode.Get && context is IReadOnlyList<StoreObjectId> ids)
            {
                var locations = Parse(reply, ids.Count, _slotIds.Length);
                for (var i = 0; i < locations.Length; i++)
                {
                    if (locations[i] is { } location)
                    {
                        // Not from the read loop itself: a send may wait for the store, which may wait for this loop.
                        var (id, granted) = (ids[i], location);
                        ThreadPool.QueueUserWorkItem(_ =>
                        {
                            if (granted.LeaseSlot >= 0)
                            {
                                Remember(id, granted); // a later get of the id may read through it
                                ReleaseLease(id, granted);
                            }
                            else
                            {
                                Release(id);
                            }
                        });
                    }
                }
            }
        }
        catch (Exception ex) when (ex is ProtocolException or ObjectStoreException)
        {
            // A malformed answer to a call nobody waits for: nothing to give back.
        }
    }
}
