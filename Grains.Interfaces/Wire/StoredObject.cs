namespace OrleansRay;

/// <summary>Where a value above the inline threshold lives: the object store of one node, and how its bytes decode. The
/// owner's record of a stored object, and what travels in place of the value (a result, a task argument, a borrower's
/// read): only this, never the bytes, rides in a grain message (Orleans' message limit is 100 MB and large messages
/// jam a connection). A reader on the same store maps it; a reader elsewhere pulls it store-to-store over the holder
/// store's TCP transfer (Ray's object manager pull) and reads its own secondary copy.</summary>
[GenerateSerializer, Immutable, Alias("orleansray.storedobject")]
public sealed record StoredObject
{
    /// <summary>The object (its id in the store is the same 16 bytes).</summary>
    [Id(0)] public ObjectId Id { get; init; }

    /// <summary>Non-null: the bytes are the raw elements of a 1-D array of this type (primitive elements), viewable
    /// zero-copy. Null: the bytes are the value Orleans-serialized as <c>object</c>.</summary>
    [Id(1)] public Type? ArrayType { get; init; }

    /// <summary>Elements of the raw array (0 for a serialized value).</summary>
    [Id(2)] public int Length { get; init; }

    /// <summary>Bytes in the store.</summary>
    [Id(3)] public long Size { get; init; }

    /// <summary>The node whose store holds the primary copy (for messages).</summary>
    [Id(4)] public string Node { get; init; } = string.Empty;

    /// <summary>The holder store's peer-transfer endpoint, "address:port": where readers pull it from, and the store's
    /// identity (a reader whose own store has this endpoint reads it in place).</summary>
    [Id(5)] public string Store { get; init; } = string.Empty;

    /// <summary>The bytes are a <see cref="PackedValue"/>'s: a job's value, which only that job's serializer reads (a reader
    /// gets the <see cref="PackedValue"/> back, and job code unpacks it).</summary>
    [Id(6)] public bool Packed { get; init; }

    /// <summary>The element type of a raw array, or null.</summary>
    public Type? ElementType => ArrayType?.GetElementType();
}
