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
}
