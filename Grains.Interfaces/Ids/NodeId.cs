namespace OrleansRay;

/// <summary>Identifies a node (an Orleans silo) by its silo address text, e.g. "127.0.0.1:11111@123456".</summary>
[GenerateSerializer, Immutable, Alias("orleansray.nodeid")]
public readonly record struct NodeId
{
    /// <summary>Creates a node id; empty text is refused.</summary>
    public NodeId(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        Value = value;
    }

    /// <summary>The silo address text.</summary>
    [Id(0)] public string Value { get; }

    /// <inheritdoc />
    public override string ToString() => Value ?? string.Empty;

    /// <summary>The silo this id names, or null when it names none (empty, a connected driver's <c>driver:…</c> id, or
    /// not an id at all): the one parse of a node id into Orleans' address, for placement hints and membership checks.</summary>
    internal Orleans.Runtime.SiloAddress? TryGetSilo()
    {
        if (string.IsNullOrWhiteSpace(Value))
        {
            return null;
        }

        try
        {
            return Orleans.Runtime.SiloAddress.FromParsableString(Value);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or IndexOutOfRangeException)
        {
            return null;
        }
    }
}
