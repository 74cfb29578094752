using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using OrleansRay.ObjectStore.Storage;

namespace OrleansRay.ObjectStore.Protocol;

/// <summary>Serves one client connection of the local protocol.</summary>
/// <remarks>
/// Frames are read and validated one at a time. Quick requests are answered in order; gets, creates and
/// pulls (which may wait) run concurrently and answer when done, matched by request id. A frame that breaks
/// the framing closes the connection; a frame with a bad field gets an error reply. Either way the session
/// closes with the connection, releasing its pins.
/// </remarks>
internal sealed class StoreConnection
{
    private readonly Socket _socket;
    private readonly StoreCore _core;
    private readonly StoreSession _session;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _closed;
    private LeaseTable? _leases;

    public StoreConnection(Socket socket, StoreCore core, int number, CancellationToken stopping)
    {
        _socket = socket;
        _core = core;
        _session = core.OpenSession($"socket client {number}");
        _closed = CancellationTokenSource.CreateLinkedTokenSource(stopping);
    }

    public async Task RunAsync()
    {
        var receiver = new FrameReceiver(_socket, ProtocolLimits.MaxRequestPayload);
        try
        {
            while (await receiver.ReceiveAsync(_closed.Token).ConfigureAwait(false) is { } payload)
            {
                await DispatchAsync(payload).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is ProtocolException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Broken framing, a vanished peer or shutdown: the connection ends and its session is released below.
        }
        finally
        {
            await _closed.CancelAsync().ConfigureAwait(false);
            _core.CloseSession(_session);
            _leases?.Dispose();
            _socket.Dispose();
        }
    }

    public void Close()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already closed by the peer.
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask DispatchAsync(ReadOnlyMemory<byte> payload)
    {
        var reader = new FrameReader(payload.Span);
        var op = (Opcode)reader.ReadByte();
        var requestId = reader.ReadUInt32();
        try
        {
            switch (op)
            {
                case Opcode.Hello:
                    {
                        var version = reader.ReadUInt32();
                        reader.EnsureEnd();
                        if (version != ProtocolLimits.Version)
                        {
                            throw new ProtocolException($"Protocol version {version} is not supported; this store speaks {ProtocolLimits.Version}.");
                        }

                        if (_leases is not null)
                        {
                            throw new ProtocolException("Hello: the connection is already open.");
                        }

                        _leases = LeaseTable.CreateShared(_core.Options.ArenaDirectory);
                        _core.AttachLeases(_session, _leases);
                        await ReplyAsync(Ok(requestId).WriteInt64(_core.Capacity).WriteString(_core.Arena.Path)
                            .WriteString(_leases.Path).WriteInt32(LeaseTable.Slots)).ConfigureAwait(false);
                        break;
                    }

                case Opcode.Create:
                    {
                        var id = reader.ReadId();
                        var size = reader.ReadInt64();
                        var flags = reader.ReadByte();
                        var timeout = reader.ReadTimeout(_core.Options.CreateTimeout);
                        reader.EnsureEnd();
                        if (size < 0 || size > int.MaxValue || flags > 1)
                        {
                            throw new ProtocolException($"Create: size {size} or flags {flags} out of range.");
                        }

                        Spawn(requestId, async () =>
                        {
                            var offset = await _core.CreateAsync(_session, id, size, (flags & 1) != 0, timeout, _closed.Token).ConfigureAwait(false);
                            return Ok(requestId).WriteInt64(offset);
                        });
                        break;
                    }

                case Opcode.Put:
                    {
                        var id = reader.ReadId();
                        var flags = reader.ReadByte();
                        var timeout = reader.ReadTimeout(_core.Options.CreateTimeout);
                        var length = reader.ReadUInt32();
                        if (flags > 1 || length > ProtocolLimits.MaxInlinePut)
                        {
                            throw new ProtocolException($"Put: flags {flags} or length {length} out of range.");
                        }

                        var data = reader.ReadBytes((int)length).ToArray(); // the receive buffer is reused before the put may finish
                        reader.EnsureEnd();
                        Spawn(requestId, async () =>
                        {
                            await _core.PutAsync(_session, id, data, (flags & 1) != 0, timeout, _closed.Token).ConfigureAwait(false);
                            return Ok(requestId);
                        });
                        break;
                    }

                case Opcode.Seal:
                case Opcode.Abort:
                case Opcode.Release:
                case Opcode.Contains:
                    {
                        var id = reader.ReadId();
                        reader.EnsureEnd();
                        var reply = Ok(requestId);
                        switch (op)
                        {
                            case Opcode.Seal:
                                _core.Seal(_session, id);
                                break;
                            case Opcode.Abort:
                                _core.Abort(_session, id);
                                break;
                            case Opcode.Release:
                                _core.Release(_session, id);
                                break;
                            default:
                                reply.WriteByte(_core.Contains(id) ? (byte)1 : (byte)0);
                                break;
                        }

                        await ReplyAsync(reply).ConfigureAwait(false);
                        break;
                    }

                case Opcode.Get:
                    {
                        var timeout = reader.ReadTimeout(Timeout.InfiniteTimeSpan);
                        var ids = ReadIds(ref reader);
                        reader.EnsureEnd();
                        var pending = _core.GetAsync(_session, ids, timeout, _closed.Token);
                        if (pending.IsCompletedSuccessfully)
                        {
                            // Every object was there: answer now, without a spawned task.
                            await ReplyAsync(Locations(requestId, pending.Result)).ConfigureAwait(false);
                            break;
                        }

                        Spawn(requestId, async () => Locations(requestId, await pending.ConfigureAwait(false)));
                        break;
                    }

                case Opcode.Sync:
                    {
                        reader.EnsureEnd();
                        await ReplyAsync(Ok(requestId)).ConfigureAwait(false);
                        break;
                    }

                case Opcode.Reserve:
                    {
                        var block = reader.ReadUInt32();
                        var count = reader.ReadUInt16();
                        reader.EnsureEnd();
                        var offsets = _core.Reserve(_session, block, count);
                        var reply = new FrameWriter((byte)ReplyStatus.Ok, requestId, 16 + (offsets.Length * 8)).WriteUInt16((ushort)offsets.Length);
                        foreach (var offset in offsets)
                        {
                            reply.WriteInt64(offset);
                        }

                        await ReplyAsync(reply).ConfigureAwait(false);
                        break;
                    }

                case Opcode.SealBatch:
                    {
                        var count = reader.ReadUInt16();
                        if (count is 0 or > ProtocolLimits.MaxSealBatch || reader.Remaining != count * ProtocolLimits.SealItemSize)
                        {
                            throw new ProtocolException($"SealBatch: {count} objects in {reader.Remaining} bytes; a batch names 1..{ProtocolLimits.MaxSealBatch} objects of {ProtocolLimits.SealItemSize} bytes.");
                        }

                        List<Exception>? failures = null;
                        for (var i = 0; i < count; i++)
                        {
                            var id = reader.ReadId();
                            var flags = reader.ReadByte();
                            var offset = reader.ReadInt64();
                            var size = reader.ReadUInt32();
                            try
                            {
                                if (flags > 1)
                                {
                                    throw new ProtocolException($"SealBatch: flags {flags} out of range.");
                                }

                                _core.SealReserved(_session, id, offset, size, (flags & 1) != 0);
                            }
                            catch (Exception ex) when (ex is not OutOfMemoryException)
                            {
                                // One bad object does not stop the others; the client hears of it on its next call.
                                (failures ??= []).Add(ex);
                            }
                        }

                        foreach (var failure in failures ?? [])
                        {
                            await ReplyAsync(new FrameWriter((byte)ReplyErrors.StatusOf(failure), 0).WriteString(failure.Message), unsolicited: true).ConfigureAwait(false);
                        }

                        break;
                    }

                case Opcode.LeaseDone:
                    {
                        var slot = reader.ReadInt32();
                        var generation = reader.ReadInt64();
                        reader.EnsureEnd();
                        _core.LeaseDone(_session, slot, generation);
                        await ReplyAsync(Ok(requestId)).ConfigureAwait(false);
                        break;
                    }

                case Opcode.Delete:
                    {
                        var ids = ReadIds(ref reader);
                        reader.EnsureEnd();
                        await ReplyAsync(Ok(requestId).WriteInt32(_core.Delete(ids))).ConfigureAwait(false);
                        break;
                    }

                case Opcode.Residency:
                    {
                        var ids = ReadIds(ref reader);
                        reader.EnsureEnd();
                        var places = _core.Residency(ids);
                        var reply = new FrameWriter((byte)ReplyStatus.Ok, requestId, 16 + places.Length).WriteUInt16((ushort)places.Length);
                        foreach (var place in places)
                        {
                            reply.WriteByte((byte)place);
                        }

                        await ReplyAsync(reply).ConfigureAwait(false);
                        break;
                    }

                case Opcode.Stats:
                    {
                        reader.EnsureEnd();
                        await ReplyAsync(StatsCodec.Write(Ok(requestId), _core.GetStats())).ConfigureAwait(false);
                        break;
                    }

                case Opcode.Pull:
                    {
                        var id = reader.ReadId();
                        var addressLength = reader.ReadByte();
                        if (addressLength is not 4 and not 16)
                        {
                            throw new ProtocolException($"Pull: an address is 4 or 16 bytes, not {addressLength}.");
                        }

                        var address = new IPAddress(reader.ReadBytes(addressLength));
                        var port = reader.ReadUInt16();
                        var timeout = reader.ReadTimeout(TimeSpan.FromMinutes(5));
                        reader.EnsureEnd();
                        if (port == 0)
                        {
                            throw new ProtocolException("Pull: port 0 is not a peer.");
                        }

                        Spawn(requestId, async () =>
                        {
                            await _core.PullAsync(id, new IPEndPoint(address, port), timeout, _closed.Token).ConfigureAwait(false);
                            return Ok(requestId);
                        });
                        break;
                    }

                default:
                    throw new ProtocolException($"Unknown opcode {(byte)op}.");
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            await ReplyErrorAsync(requestId, ex, unsolicited: op == Opcode.SealBatch).ConfigureAwait(false);
        }
    }

    private static List<StoreObjectId> ReadIds(ref FrameReader reader)
    {
        var count = reader.ReadUInt16();
        if (count is 0 or > ProtocolLimits.MaxIdsPerRequest)
        {
            throw new ProtocolException($"A request names 1..{ProtocolLimits.MaxIdsPerRequest} ids, not {count}.");
        }

        var ids = new List<StoreObjectId>(count);
        for (var i = 0; i < count; i++)
        {
            ids.Add(reader.ReadId());
        }

        return ids;
    }

    private static FrameWriter Ok(uint requestId) => new((byte)ReplyStatus.Ok, requestId);

    private static FrameWriter Locations(uint requestId, ObjectLocation?[] found)
    {
        var reply = new FrameWriter((byte)ReplyStatus.Ok, requestId, 16 + (found.Length * ProtocolLimits.LocationSize)).WriteUInt16((ushort)found.Length);
        foreach (var location in found)
        {
            var leased = location is { LeaseSlot: >= 0 };
            reply.WriteByte(location is null ? (byte)0 : leased ? (byte)2 : (byte)1)
                .WriteInt64(location?.Offset ?? 0)
                .WriteInt64(location?.Size ?? 0)
                .WriteInt32(location?.LeaseSlot ?? -1)
                .WriteInt64(location?.LeaseGeneration ?? 0);
        }

        return reply;
    }

    private void Spawn(uint requestId, Func<Task<FrameWriter>> work) => _ = RunSpawnedAsync(requestId, work);

    private async Task RunSpawnedAsync(uint requestId, Func<Task<FrameWriter>> work)
    {
        FrameWriter reply;
        try
        {
            reply = await work().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            await ReplyErrorAsync(requestId, ex).ConfigureAwait(false);
            return;
        }

        await ReplyAsync(reply).ConfigureAwait(false);
    }

    private ValueTask ReplyErrorAsync(uint requestId, Exception ex, bool unsolicited = false) =>
        ReplyAsync(new FrameWriter((byte)ReplyErrors.StatusOf(ex), requestId).WriteString(ex.Message), unsolicited);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ReplyAsync(FrameWriter reply, bool unsolicited = false)
    {
        var frame = reply.ToMemory();
        if (!unsolicited && frame.Span[8] == 0 && frame.Span[7] == 0 && frame.Span[6] == 0 && frame.Span[5] == 0)
        {
            return; // request id 0: the client asked for no reply
        }

        await _sendLock.WaitAsync().ConfigureAwait(false);
        try
        {
            while (!frame.IsEmpty)
            {
                var sent = await _socket.SendAsync(frame, SocketFlags.None, _closed.Token).ConfigureAwait(false);
                frame = frame[sent..];
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The client is gone; the read loop sees it too and closes the session.
            Close();
        }
        finally
        {
            _sendLock.Release();
        }
    }
}
