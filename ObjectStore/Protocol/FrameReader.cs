using System.Buffers.Binary;
using System.Text;

namespace OrleansRay.ObjectStore.Protocol;

/// <summary>Reads little-endian fields from a frame payload, throwing <see cref="ProtocolException"/> instead of reading past its end.</summary>
internal ref struct FrameReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public FrameReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    public readonly int Remaining => _data.Length - _position;

    public byte ReadByte() => Take(1)[0];

    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

    public int ReadInt32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    public long ReadInt64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

    public ReadOnlySpan<byte> ReadBytes(int count) => Take(count);

    public StoreObjectId ReadId()
    {
        var bytes = Take(StoreObjectId.Size);
        try
        {
            return new StoreObjectId(bytes);
        }
        catch (ArgumentException ex)
        {
            throw new ProtocolException(ex.Message);
        }
    }

    /// <summary>A timeout in milliseconds: -1 means <paramref name="whenMinusOne"/>; other negatives are invalid.</summary>
    public TimeSpan ReadTimeout(TimeSpan whenMinusOne)
    {
        var ms = ReadInt64();
        if (ms == -1)
        {
            return whenMinusOne;
        }

        // Anything beyond ~a year is "forever"; it keeps TimeSpan arithmetic far from overflow.
        const long MaxMs = 365L * 24 * 3600 * 1000;
        return ms switch
        {
            < 0 => throw new ProtocolException($"A timeout of {ms} ms is invalid."),
            > MaxMs => Timeout.InfiniteTimeSpan,
            _ => TimeSpan.FromMilliseconds(ms),
        };
    }

    public string ReadString()
    {
        var length = ReadUInt16();
        return Encoding.UTF8.GetString(Take(length));
    }

    /// <summary>Rejects trailing bytes: every field of a frame is accounted for.</summary>
    public readonly void EnsureEnd()
    {
        if (_position != _data.Length)
        {
            throw new ProtocolException($"The frame has {_data.Length - _position} unexpected trailing bytes.");
        }
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > _data.Length - _position)
        {
            throw new ProtocolException($"The frame is truncated: needed {count} more bytes at {_position}, it has {_data.Length - _position}.");
        }

        var span = _data.Slice(_position, count);
        _position += count;
        return span;
    }
}
