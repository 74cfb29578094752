using System.Buffers.Binary;
using System.Text;

namespace OrleansRay.ObjectStore.Protocol;

/// <summary>Builds one frame: the 4-byte length prefix is filled in by <see cref="ToMemory"/>.</summary>
internal sealed class FrameWriter
{
    private byte[] _buffer;
    private int _length;

    [ThreadStatic]
    private static FrameWriter? t_reused;

    public FrameWriter(byte head, uint requestId, int capacity = 64)
    {
        _buffer = new byte[Math.Max(capacity, 16)];
        _length = 4;
        WriteByte(head);
        WriteUInt32(requestId);
    }

    /// <summary>This thread's reusable writer, started on a new frame: for a frame sent before the thread does anything else
    /// (a client request, sent synchronously), so building it allocates nothing.</summary>
    public static FrameWriter ForThisThread(byte head, uint requestId)
    {
        var writer = t_reused ??= new FrameWriter(head, requestId, 256);
        writer._length = 4;
        writer.WriteByte(head);
        return writer.WriteUInt32(requestId);
    }

    public FrameWriter WriteByte(byte value)
    {
        Ensure(1)[0] = value;
        return this;
    }

    public FrameWriter WriteUInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(Ensure(2), value);
        return this;
    }

    public FrameWriter WriteInt32(int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(Ensure(4), value);
        return this;
    }

    public FrameWriter WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(Ensure(4), value);
        return this;
    }

    public FrameWriter WriteInt64(long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(Ensure(8), value);
        return this;
    }

    public FrameWriter WriteId(StoreObjectId id)
    {
        id.WriteTo(Ensure(StoreObjectId.Size));
        return this;
    }

    public FrameWriter WriteBytes(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Ensure(bytes.Length));
        return this;
    }

    /// <summary>Writes a timeout in milliseconds: null is -1 (the store default), infinite is long.MaxValue (read back as infinite).</summary>
    public FrameWriter WriteTimeout(TimeSpan? timeout)
    {
        long ms = timeout switch
        {
            null => -1,
            { } t when t == Timeout.InfiniteTimeSpan => long.MaxValue,
            { } t when t < TimeSpan.Zero => throw new ArgumentOutOfRangeException(nameof(timeout), "A timeout must be >= 0 or infinite."),
            { } t => (long)Math.Ceiling(t.TotalMilliseconds),
        };
        return WriteInt64(ms);
    }

    public FrameWriter WriteString(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        var length = Math.Min(bytes.Length, 8 * 1024); // messages are for humans; long ones are cut
        WriteUInt16((ushort)length);
        return WriteBytes(bytes.AsSpan(0, length));
    }

    /// <summary>The finished frame, length prefix included.</summary>
    public ReadOnlyMemory<byte> ToMemory()
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer, (uint)(_length - 4));
        return _buffer.AsMemory(0, _length);
    }

    private Span<byte> Ensure(int count)
    {
        if (_length + count > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + count));
        }

        var span = _buffer.AsSpan(_length, count);
        _length += count;
        return span;
    }
}
