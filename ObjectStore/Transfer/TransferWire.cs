using System.Buffers.Binary;
using System.Net.Sockets;

namespace OrleansRay.ObjectStore.Transfer;

/// <summary>The peer-transfer wire format and socket helpers.</summary>
/// <remarks>
/// Request (32 bytes): u32 magic "ORTX", 20-byte id, i64 wait ms (how long the peer may wait for the object to be sealed).
/// Reply header (9 bytes): u8 status (0 = found, 1 = not found, 2 = TLS required), i64 size; then the object's bytes, raw.
/// A put (a process without a store of its own puts an object into this one, <see cref="TransferPut"/>): request (32
/// bytes) u32 magic "ORTP", 20-byte id, i64 size; the store creates the object (a primary copy, making room as a put
/// does) and answers a header: status 0 (send the bytes), 2 (TLS required) or 3 (refused: i64 = length of what follows,
/// one <see cref="Protocol.ReplyStatus"/> byte and a UTF-8 message); after the bytes, a header with status 0 once the
/// object is sealed, or 3 with the reason.
/// With the cluster's credentials all of it runs inside TLS 1.3 (<see cref="TransferConnection"/>); a store with them
/// answers a plain request with status 2 and closes.
/// </remarks>
internal static class TransferWire
{
    public const uint Magic = 0x5854524F; // "ORTX" little-endian
    public const uint PutMagic = 0x5054524F; // "ORTP" little-endian: same first byte, so a TLS-only store refuses it as a plain request
    public const int RequestSize = 4 + StoreObjectId.Size + 8;
    public const int HeaderSize = 9;
    public const byte Found = 0;
    public const byte NotFound = 1;
    public const byte TlsRequired = 2;
    public const byte Refused = 3;

    public static byte[] EncodeRequest(StoreObjectId id, TimeSpan wait)
    {
        var request = new byte[RequestSize];
        BinaryPrimitives.WriteUInt32LittleEndian(request, Magic);
        id.WriteTo(request.AsSpan(4));
        BinaryPrimitives.WriteInt64LittleEndian(request.AsSpan(4 + StoreObjectId.Size), (long)wait.TotalMilliseconds);
        return request;
    }

    public static byte[] EncodePutRequest(StoreObjectId id, long size)
    {
        var request = new byte[RequestSize];
        BinaryPrimitives.WriteUInt32LittleEndian(request, PutMagic);
        id.WriteTo(request.AsSpan(4));
        BinaryPrimitives.WriteInt64LittleEndian(request.AsSpan(4 + StoreObjectId.Size), size);
        return request;
    }

    /// <summary>Asks the peer at the other end of <paramref name="connection"/> for <paramref name="id"/> and reads its answer.</summary>
    /// <param name="connection">A connection to the peer's transfer endpoint.</param>
    /// <param name="id">The object.</param>
    /// <param name="peerWait">How long the peer may wait for the object to be sealed.</param>
    /// <param name="plain">True when the connection is plain TCP (no credentials): an early close then likely means the
    /// peer requires TLS.</param>
    /// <param name="describe">Turns a reason into the exception's message.</param>
    /// <param name="cancellationToken">The caller's deadline.</param>
    /// <returns>The object's size; its bytes follow on <paramref name="connection"/>.</returns>
    /// <exception cref="ObjectTransferException">The peer closed, lacks the object, requires TLS, or announced an invalid size.</exception>
    public static async ValueTask<long> RequestAsync(TransferConnection connection, StoreObjectId id, TimeSpan peerWait, bool plain, Func<string, string> describe, CancellationToken cancellationToken)
    {
        await connection.SendAllAsync(EncodeRequest(id, peerWait), cancellationToken).ConfigureAwait(false);
        var header = new byte[HeaderSize];
        if (!await connection.ReceiveExactlyAsync(header, cancellationToken).ConfigureAwait(false))
        {
            throw new ObjectTransferException(describe(plain
                ? "the peer closed the connection before answering (it may have died, or it requires TLS: the cluster has an auth token and this process has none)"
                : "the peer closed the connection before answering (it may have died)"));
        }

        switch (header[0])
        {
            case Found:
                break;
            case TlsRequired:
                throw new ObjectTransferException(describe("the holder refused it: it requires TLS with the cluster's auth token, and this process has none (started with --insecure, or no token given)"));
            default:
                throw new ObjectTransferException(describe("the peer does not have the object"));
        }

        var size = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(1));
        if (size < 0 || size > int.MaxValue)
        {
            throw new ObjectTransferException(describe($"the peer announced an invalid size {size}"));
        }

        return size;
    }

    /// <summary>Answers a plain request on a TLS-only endpoint with <see cref="TlsRequired"/>: reads the request first,
    /// so closing sends FIN (not a reset that could discard the answer), then shuts down sending.</summary>
    public static async ValueTask RefusePlainAsync(Socket peer, CancellationToken cancellationToken)
    {
        var request = new byte[RequestSize];
        if (!await ReceiveExactlyAsync(peer, request, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        var header = new byte[HeaderSize];
        header[0] = TlsRequired;
        await SendAllAsync(peer, header, cancellationToken).ConfigureAwait(false);
        peer.Shutdown(SocketShutdown.Send);
    }

    /// <summary>Receives exactly <paramref name="buffer"/>.Length bytes; false when the peer closed first.</summary>
    public static async ValueTask<bool> ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return false;
            }

            buffer = buffer[read..];
        }

        return true;
    }

    public static async ValueTask SendAllAsync(Socket socket, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            var sent = await socket.SendAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            buffer = buffer[sent..];
        }
    }
}
