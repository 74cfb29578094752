using System.Globalization;

namespace OrleansRay;

/// <summary>Identifies an object cluster-wide: 128 bits, never zero.</summary>
[GenerateSerializer, Immutable, Alias("orleansray.objectid")]
public readonly record struct ObjectId
{
    /// <summary>Creates an id from its two halves; both zero is refused.</summary>
    public ObjectId(ulong hi, ulong lo)
    {
        if (hi == 0 && lo == 0)
        {
            throw new ArgumentException("A ObjectId cannot be zero.", nameof(hi));
        }

        Hi = hi;
        Lo = lo;
    }

    /// <summary>High 64 bits.</summary>
    [Id(0)] public ulong Hi { get; }

    /// <summary>Low 64 bits.</summary>
    [Id(1)] public ulong Lo { get; }

    /// <summary>True for <c>default</c>, which names nothing.</summary>
    public bool IsEmpty => Hi == 0 && Lo == 0;

    /// <summary>A fresh id, unique across the cluster.</summary>
    public static ObjectId NewId()
    {
        var (hi, lo) = IdGenerator.Next();
        return new ObjectId(hi, lo);
    }

    /// <summary>The id as a Guid (used as a grain key).</summary>
    public Guid ToGuid()
    {
        Span<byte> bytes = stackalloc byte[16];
        BitConverter.TryWriteBytes(bytes, Hi);
        BitConverter.TryWriteBytes(bytes[8..], Lo);
        return new Guid(bytes);
    }

    /// <summary>Rebuilds an id from <see cref="ToGuid"/>.</summary>
    public static ObjectId FromGuid(Guid guid)
    {
        Span<byte> bytes = stackalloc byte[16];
        guid.TryWriteBytes(bytes);
        return new ObjectId(BitConverter.ToUInt64(bytes), BitConverter.ToUInt64(bytes[8..]));
    }

    /// <summary>32 hex digits.</summary>
    public override string ToString() => Hi.ToString("x16", CultureInfo.InvariantCulture) + Lo.ToString("x16", CultureInfo.InvariantCulture);

    /// <summary>Parses the form written by <see cref="ToString"/>.</summary>
    public static ObjectId Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length != 32
            || !ulong.TryParse(text.AsSpan(0, 16), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var hi)
            || !ulong.TryParse(text.AsSpan(16), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var lo))
        {
            throw new FormatException($"'{text}' is not a ObjectId: expected 32 hex digits.");
        }

        return new ObjectId(hi, lo);
    }
}
