using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using OrleansRay.ObjectStore.Protocol;
using OrleansRay.ObjectStore.Storage;

namespace OrleansRay.ObjectStore.Client;

/// <summary>A channel over the store's Unix domain socket: pipelined requests matched to replies by request id.</summary>
/// <remarks>Requests are small and sent synchronously under a lock; one background loop reads replies.</remarks>
internal sealed class SocketChannel : IStoreChannel
{
    private readonly Socket _socket;
    private readonly object _sendLock = new();
    private readonly ConcurrentDictionary<uint, TaskCompletionSource<byte[]>> _pending = new();
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _readLoop;
    private volatile Exception? _failure;
    private int _nextRequestId;

    private SocketChannel(Socket socket)
    {
        _socket = socket;
        _readLoop = ReadLoopAsync();
    }

    public long Capacity { get; private set; }

    public string ArenaPath { get; private set; } = "";

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
            var reply = await channel.CallAsync(channel.Request(Opcode.Hello, out var id).WriteUInt32(ProtocolLimits.Version), id, cancellationToken).ConfigureAwait(false);
            var capacity = Read(reply, out var arenaPath);
            channel.Capacity = capacity;
            channel.ArenaPath = arenaPath;
            return channel;
        }
        catch
        {
            await channel.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        static long Read(byte[] reply, out string path)
        {
            var reader = new FrameReader(reply);
            var capacity = reader.ReadInt64();
            path = reader.ReadString();
            return capacity;
        }
    }

    public async ValueTask<long> CreateAsync(StoreObjectId id, long size, bool primary, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var frame = Request(Opcode.Create, out var requestId).WriteId(id).WriteInt64(size).WriteByte(primary ? (byte)1 : (byte)0).WriteTimeout(timeout);
        var reply = await CallAsync(frame, requestId, cancellationToken).ConfigureAwait(false);
        return new FrameReader(reply).ReadInt64();
    }

    public async ValueTask PutSmallAsync(StoreObjectId id, ReadOnlyMemory<byte> data, bool primary, CancellationToken cancellationToken)
    {
        var frame = Request(Opcode.Put, out var requestId, 48 + data.Length).WriteId(id).WriteByte(primary ? (byte)1 : (byte)0).WriteTimeout(null)
            .WriteUInt32((uint)data.Length).WriteBytes(data.Span);
        await CallAsync(frame, requestId, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask SealAsync(StoreObjectId id, CancellationToken cancellationToken) =>
        await CallAsync(Request(Opcode.Seal, out var requestId).WriteId(id), requestId, cancellationToken).ConfigureAwait(false);

    public async ValueTask AbortAsync(StoreObjectId id) =>
        await CallAsync(Request(Opcode.Abort, out var requestId).WriteId(id), requestId, CancellationToken.None).ConfigureAwait(false);

    public async ValueTask<ObjectLocation?[]> GetAsync(IReadOnlyList<StoreObjectId> ids, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var frame = Request(Opcode.Get, out var requestId).WriteTimeout(timeout);
        WriteIds(frame, ids);
        var reply = await CallAsync(frame, requestId, cancellationToken).ConfigureAwait(false);
        return Parse(reply, ids.Count);

        static ObjectLocation?[] Parse(byte[] reply, int expected)
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
                results[i] = found == 1 ? new ObjectLocation(offset, size) : null;
            }

            return results;
        }
    }

    public void Release(StoreObjectId id)
    {
        // Request id 0: no reply. A failed send means the connection is gone, and with it every pin.
        var frame = new FrameWriter((byte)Opcode.Release, 0).WriteId(id);
        try
        {
            Send(frame);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or ObjectStoreException)
        {
            // The store releases a closed connection's pins itself.
        }
    }

    public async ValueTask<int> DeleteAsync(IReadOnlyList<StoreObjectId> ids, CancellationToken cancellationToken)
    {
        var frame = Request(Opcode.Delete, out var requestId);
        WriteIds(frame, ids);
        var reply = await CallAsync(frame, requestId, cancellationToken).ConfigureAwait(false);
        return new FrameReader(reply).ReadInt32();
    }

    public async ValueTask<bool> ContainsAsync(StoreObjectId id, CancellationToken cancellationToken)
    {
        var reply = await CallAsync(Request(Opcode.Contains, out var requestId).WriteId(id), requestId, cancellationToken).ConfigureAwait(false);
        return new FrameReader(reply).ReadByte() == 1;
    }

    public async ValueTask<ObjectResidency[]> GetResidencyAsync(IReadOnlyList<StoreObjectId> ids, CancellationToken cancellationToken)
    {
        var frame = Request(Opcode.Residency, out var requestId, 8 + (ids.Count * StoreObjectId.Size));
        WriteIds(frame, ids);
        var reply = await CallAsync(frame, requestId, cancellationToken).ConfigureAwait(false);
        return Parse(reply, ids.Count);

        static ObjectResidency[] Parse(byte[] reply, int expected)
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

    public async ValueTask<ObjectStoreStats> GetStatsAsync(CancellationToken cancellationToken)
    {
        var reply = await CallAsync(Request(Opcode.Stats, out var requestId), requestId, cancellationToken).ConfigureAwait(false);
        return Parse(reply);

        static ObjectStoreStats Parse(byte[] reply)
        {
            var reader = new FrameReader(reply);
            return StatsCodec.Read(ref reader);
        }
    }

    public async ValueTask PullAsync(StoreObjectId id, IPEndPoint remote, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var address = remote.Address.GetAddressBytes();
        var frame = Request(Opcode.Pull, out var requestId).WriteId(id).WriteByte((byte)address.Length).WriteBytes(address)
            .WriteUInt16((ushort)remote.Port).WriteTimeout(timeout);
        await CallAsync(frame, requestId, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync().ConfigureAwait(false);
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Not connected any more.
        }

        _socket.Dispose();
        await _readLoop.ConfigureAwait(false);
        _closing.Dispose();
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

    private FrameWriter Request(Opcode op, out uint requestId, int capacity = 64)
    {
        requestId = (uint)Interlocked.Increment(ref _nextRequestId);
        if (requestId == 0)
        {
            requestId = (uint)Interlocked.Increment(ref _nextRequestId);
        }

        return new FrameWriter((byte)op, requestId, capacity);
    }

    private async ValueTask<byte[]> CallAsync(FrameWriter frame, uint requestId, CancellationToken cancellationToken)
    {
        var reply = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[requestId] = reply;
        try
        {
            Send(frame);
            return await reply.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _pending.TryRemove(requestId, out _);
        }
    }

    private void Send(FrameWriter frame)
    {
        if (_failure is { } failure)
        {
            throw new ObjectStoreException($"The connection to the object store is closed: {failure.Message}", failure);
        }

        var bytes = frame.ToMemory().Span;
        lock (_sendLock)
        {
            while (!bytes.IsEmpty)
            {
                bytes = bytes[_socket.Send(bytes, SocketFlags.None)..];
            }
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
                var reader = new FrameReader(payload.Span);
                var status = (ReplyStatus)reader.ReadByte();
                var requestId = reader.ReadUInt32();
                if (!_pending.TryGetValue(requestId, out var waiter))
                {
                    continue; // the caller gave up (cancelled)
                }

                if (status == ReplyStatus.Ok)
                {
                    waiter.TrySetResult(reader.ReadBytes(reader.Remaining).ToArray());
                }
                else
                {
                    waiter.TrySetException(ReplyErrors.ToException(status, reader.ReadString()));
                }
            }
        }
        catch (Exception ex) when (ex is ProtocolException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            failure = new ObjectStoreException($"The connection to the object store broke: {ex.Message}", ex);
        }

        _failure = failure;
        foreach (var waiter in _pending.Values)
        {
            waiter.TrySetException(failure);
        }
    }
}
