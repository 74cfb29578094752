using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace OrleansRay.ObjectStore.Protocol;

/// <summary>Reads length-prefixed frames from a stream socket through one reusable buffer.</summary>
/// <remarks>A returned payload is valid until the next call. Not thread-safe: one reader per socket. The awaits use pooled
/// state machines: a frame received costs no allocation.</remarks>
internal sealed class FrameReceiver
{
    private readonly Socket _socket;
    private readonly int _maxPayload;
    private readonly byte[] _buffer;
    private int _start;
    private int _end;

    public FrameReceiver(Socket socket, int maxPayload)
    {
        _socket = socket;
        _maxPayload = maxPayload;
        _buffer = new byte[Math.Max(maxPayload + 4, 64 * 1024)];
    }

    /// <summary>The next payload, or null when the peer closed the connection between frames.</summary>
    /// <exception cref="ProtocolException">A length out of bounds, or the connection closed inside a frame.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ReadOnlyMemory<byte>?> ReceiveAsync(CancellationToken cancellationToken)
    {
        if (!await FillAsync(4, cancellationToken).ConfigureAwait(false))
        {
            if (_end == _start)
            {
                return null;
            }

            throw new ProtocolException("The connection closed inside a frame's length prefix.");
        }

        var length = BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(_start));
        if (length < ProtocolLimits.HeaderSize || length > _maxPayload)
        {
            throw new ProtocolException($"A frame of {length} bytes is outside 5..{_maxPayload}.");
        }

        if (!await FillAsync(4 + (int)length, cancellationToken).ConfigureAwait(false))
        {
            throw new ProtocolException($"The connection closed inside a frame of {length} bytes.");
        }

        var payload = _buffer.AsMemory(_start + 4, (int)length);
        _start += 4 + (int)length;
        return payload;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> FillAsync(int needed, CancellationToken cancellationToken)
    {
        if (_end - _start >= needed)
        {
            return true;
        }

        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        while (_end < needed)
        {
            var read = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return false;
            }

            _end += read;
        }

        return true;
    }
}
