using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;

namespace OrleansRay.ObjectStore;

/// <summary>The identity of an object in the store: 20 bytes, Ray's shape (a 16-byte task id and a 4-byte index).</summary>
/// <remarks>The all-zero id is reserved as "nil" and rejected, so an uninitialized id never reaches the store.</remarks>
public readonly record struct StoreObjectId
{
    /// <summary>The encoded length of an id in bytes.</summary>
    public const int Size = 20;

    private readonly ulong _high;
    private readonly ulong _low;
    private readonly uint _index;

    /// <summary>Creates an id from 16 bytes (index 0) or 20 bytes (16 bytes and a big-endian index).</summary>
    /// <exception cref="ArgumentException">The span is not 16 or 20 bytes long, or all its bytes are zero.</exception>
    public StoreObjectId(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != 16 && bytes.Length != Size)
        {
            throw new ArgumentException($"A store object id is 16 or {Size} bytes, not {bytes.Length}.", nameof(bytes));
        }

        _high = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _low = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        _index = bytes.Length == Size ? BinaryPrimitives.ReadUInt32BigEndian(bytes[16..]) : 0;
        if (_high == 0 && _low == 0 && _index == 0)
        {
            throw new ArgumentException("The all-zero store object id is reserved (nil).", nameof(bytes));
        }
    }

    /// <summary>Creates an id from a Guid-like 16-byte value and an index (e.g. a task id and its return index).</summary>
    public StoreObjectId(Guid guid, uint index = 0)
        : this(Encode(guid, index))
    {
    }

    /// <summary>Creates an id from two 64-bit halves and an index, without allocating (the runtime's <c>ObjectId(Hi, Lo)</c> maps here).</summary>
    /// <exception cref="ArgumentException">All parts are zero.</exception>
    public StoreObjectId(ulong high, ulong low, uint index = 0)
    {
        if (high == 0 && low == 0 && index == 0)
        {
            throw new ArgumentException("The all-zero store object id is reserved (nil).", nameof(high));
        }

        _high = high;
        _low = low;
        _index = index;
    }

    /// <summary>A fresh random id.</summary>
    public static StoreObjectId NewId()
    {
        Span<byte> bytes = stackalloc byte[Size];
        RandomNumberGenerator.Fill(bytes);
        bytes[0] |= 1; // never nil
        return new StoreObjectId(bytes);
    }

    /// <summary>The first 8 bytes, big-endian.</summary>
    public ulong High => _high;

    /// <summary>Bytes 8..15, big-endian.</summary>
    public ulong Low => _low;

    /// <summary>The index part (the last 4 bytes).</summary>
    public uint Index => _index;

    /// <summary>Writes the 20 bytes of the id to <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            throw new ArgumentException($"The destination needs {Size} bytes.", nameof(destination));
        }

        BinaryPrimitives.WriteUInt64BigEndian(destination, _high);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _low);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], _index);
    }

    /// <summary>The 20 bytes of the id.</summary>
    public byte[] ToByteArray()
    {
        var bytes = new byte[Size];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>40 lowercase hex digits.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{_high:x16}{_low:x16}{_index:x8}");

    private static byte[] Encode(Guid guid, uint index)
    {
        var bytes = new byte[Size];
        guid.TryWriteBytes(bytes.AsSpan(0, 16), bigEndian: true, out _);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(16), index);
        return bytes;
    }
}
