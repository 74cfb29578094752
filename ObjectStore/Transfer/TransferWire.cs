using System.Buffers.Binary;
using System.Net.Sockets;

namespace OrleansRay.ObjectStore.Transfer;

/// <summary>The peer-transfer wire format and socket helpers.</summary>
/// <remarks>
/// Request (32 bytes): u32 magic "ORTX", 20-byte id, i64 wait ms (how long the peer may wait for the object to be sealed).
/// Reply header (9 bytes): u8 status (0 = found, 1 = not found), i64 size; then the object's bytes, raw.
/// </remarks>
internal static class TransferWire
{
    public const uint Magic = 0x5854524F; // "ORTX" little-endian
    public const int RequestSize = 4 + StoreObjectId.Size + 8;
    public const int HeaderSize = 9;
    public const byte Found = 0;
    public const byte NotFound = 1;

    public static byte[] EncodeRequest(StoreObjectId id, TimeSpan wait)
    {
        var request = new byte[RequestSize];
        BinaryPrimitives.WriteUInt32LittleEndian(request, Magic);
        id.WriteTo(request.AsSpan(4));
        BinaryPrimitives.WriteInt64LittleEndian(request.AsSpan(4 + StoreObjectId.Size), (long)wait.TotalMilliseconds);
        return request;
    }

    /// <summary>Connects to a peer's transfer endpoint, asks it for <paramref name="id"/> and reads its answer.</summary>
    /// <param name="socket">An unconnected TCP socket.</param>
    /// <param name="id">The object.</param>
    /// <param name="remote">The peer's transfer endpoint.</param>
    /// <param name="peerWait">How long the peer may wait for the object to be sealed.</param>
    /// <param name="describe">Turns a reason into the exception's message.</param>
    /// <param name="cancellationToken">The caller's deadline.</param>
    /// <returns>The object's size; its bytes follow on <paramref name="socket"/>.</returns>
    /// <exception cref="ObjectTransferException">The peer closed, lacks the object, or announced an invalid size.</exception>
    public static async ValueTask<long> RequestAsync(Socket socket, StoreObjectId id, System.Net.IPEndPoint remote, TimeSpan peerWait, Func<string, string> describe, CancellationToken cancellationToken)
    {
        await socket.ConnectAsync(remote, cancellationToken).ConfigureAwait(false);
        await SendAllAsync(socket, EncodeRequest(id, peerWait), cancellationToken).ConfigureAwait(false);
        var header = new byte[HeaderSize];
        if (!await ReceiveExactlyAsync(socket, header, cancellationToken).ConfigureAwait(false))
        {
            throw new ObjectTransferException(describe("the peer closed the connection before answering (it may have died)"));
        }

        if (header[0] != Found)
        {
            throw new ObjectTransferException(describe("the peer does not have the object"));
        }

        var size = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(1));
        if (size < 0 || size > int.MaxValue)
        {
            throw new ObjectTransferException(describe($"the peer announced an invalid size {size}"));
        }

        return size;
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
