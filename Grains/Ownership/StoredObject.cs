using OrleansRay.ObjectStore;

namespace OrleansRay.Ownership;

/// <summary>Where an object kept in the node's object store lives and how its bytes decode (the owner entry's value
/// while it is in the "stored" state).</summary>
internal sealed class StoredObject
{
    public StoredObject(StoreObjectId storeId, Type? arrayType, int length, long size)
    {
        StoreId = storeId;
        ArrayType = arrayType;
        Length = length;
        Size = size;
    }

    /// <summary>The object's id in the store: <c>new StoreObjectId(objectId.Hi, objectId.Lo)</c>.</summary>
    public StoreObjectId StoreId { get; }

    /// <summary>Non-null: the bytes are the raw elements of a 1-D array of this type (primitive elements), viewable
    /// zero-copy. Null: the bytes are the value Orleans-serialized as <c>object</c>.</summary>
    public Type? ArrayType { get; }

    /// <summary>Elements of the raw array (0 for a serialized value).</summary>
    public int Length { get; }

    /// <summary>Bytes in the store.</summary>
    public long Size { get; }

    /// <summary>The element type of a raw array, or null.</summary>
    public Type? ElementType => ArrayType?.GetElementType();
}
