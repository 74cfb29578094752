using System.Net.Sockets;

namespace OrleansRay.ObjectStore.Transfer;

/// <summary>The stream under a transfer connection's TLS: batches TLS records (16 KiB at most each) into fewer socket
/// calls both ways, as <see cref="BufferedStream"/> would, but a read returns what it has buffered without asking the
/// socket for more.</summary>
/// <remarks><see cref="BufferedStream"/> tops up a short read from the socket, so a TLS record split across its buffer
/// waits for bytes the peer may never send: a peer that sent its last bytes and waits for an answer (a put, waiting to
/// hear its object is sealed) hung until it gave up. A transfer that ends by closing the connection never noticed.
/// Writes stay in the buffer until it is full or <see cref="FlushAsync(CancellationToken)"/>; one connection, used by
/// one reader and one writer in turn, as <see cref="System.Net.Security.SslStream"/> uses it.</remarks>
internal sealed class SocketBufferStream : Stream
{
    private readonly Socket _socket;
    private readonly byte[] _readBuffer;
    private readonly byte[] _writeBuffer;
    private int _readStart;
    private int _readEnd;
    private int _written;

    /// <param name="socket">A connected socket (not owned: whoever owns the connection disposes it).</param>
    /// <param name="bufferSize">Bytes buffered each way.</param>
    public SocketBufferStream(Socket socket, int bufferSize)
    {
        _socket = socket;
        _readBuffer = new byte[bufferSize];
        _writeBuffer = new byte[bufferSize];
    }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        if (_readStart == _readEnd)
        {
            if (buffer.Length >= _readBuffer.Length)
            {
                return await _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }

            _readStart = 0;
            _readEnd = await _socket.ReceiveAsync(_readBuffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }

        return TakeBuffered(buffer.Span);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        if (_readStart == _readEnd)
        {
            if (buffer.Length >= _readBuffer.Length)
            {
                return _socket.Receive(buffer, SocketFlags.None);
            }

            _readStart = 0;
            _readEnd = _socket.Receive(_readBuffer, SocketFlags.None);
        }

        return TakeBuffered(buffer);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Copies what is buffered (none when the peer closed) into <paramref name="destination"/>.</summary>
    private int TakeBuffered(Span<byte> destination)
    {
        var count = Math.Min(destination.Length, _readEnd - _readStart);
        _readBuffer.AsSpan(_readStart, count).CopyTo(destination);
        _readStart += count;
        return count;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_written + buffer.Length > _writeBuffer.Length)
        {
            await FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        if (buffer.Length >= _writeBuffer.Length)
        {
            await TransferWire.SendAllAsync(_socket, buffer, cancellationToken).ConfigureAwait(false);
            return;
        }

        buffer.CopyTo(_writeBuffer.AsMemory(_written));
        _written += buffer.Length;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (_written + buffer.Length > _writeBuffer.Length)
        {
            Flush();
        }

        if (buffer.Length >= _writeBuffer.Length)
        {
            SendAll(buffer);
            return;
        }

        buffer.CopyTo(_writeBuffer.AsSpan(_written));
        _written += buffer.Length;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_written > 0)
        {
            var pending = _written;
            _written = 0;
            await TransferWire.SendAllAsync(_socket, _writeBuffer.AsMemory(0, pending), cancellationToken).ConfigureAwait(false);
        }
    }

    public override void Flush()
    {
        if (_written > 0)
        {
            var pending = _written;
            _written = 0;
            SendAll(_writeBuffer.AsSpan(0, pending));
        }
    }

    private void SendAll(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            buffer = buffer[_socket.Send(buffer, SocketFlags.None)..];
        }
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
