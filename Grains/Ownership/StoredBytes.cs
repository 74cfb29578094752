using System.Runtime.InteropServices;
using Orleans.Serialization;
using OrleansRay.ObjectStore;
using OrleansRay.ObjectStore.Client;

namespace OrleansRay.Ownership;

/// <summary>Turns a stored object's bytes back into a value: the raw elements of an array of primitives, or an
/// Orleans-serialized value (<see cref="StoredObject.ArrayType"/> says which).</summary>
internal static class StoredBytes
{
    /// <summary>A fresh value from <paramref name="bytes"/> (the store's mapping, or bytes fetched from a holder).</summary>
    /// <exception cref="ObjectStoreException">The bytes are not the size the owner recorded.</exception>
    public static object? Decode(StoredObject stored, ReadOnlySpan<byte> bytes, Serializer serializer)
    {
        if (bytes.Length != stored.Size)
        {
            throw new ObjectStoreException($"Object {stored.Id} is {bytes.Length} bytes in the store, not the {stored.Size} its owner recorded.");
        }

        if (stored.ElementType is { } elementType)
        {
            var array = NewArray(elementType, stored.Length);
            ParallelCopy.Copy(bytes, RawBytes(array, bytes.Length));
            return array;
        }

        // A job's value: the job's code unpacks it (the node's serializer does not know its types).
        return stored.Packed ? new PackedValue(bytes.ToArray()) : serializer.Deserialize<object>(bytes);
    }

    /// <summary>The bytes of a raw array's elements.</summary>
    public static Span<byte> RawBytes(Array array, int size) =>
        MemoryMarshal.CreateSpan(ref MemoryMarshal.GetArrayDataReference(array), size);

    /// <summary>An array the copy overwrites completely: skip zeroing for the common element types.</summary>
    private static Array NewArray(Type elementType, int length)
    {
        if (elementType == typeof(double))
        {
            return GC.AllocateUninitializedArray<double>(length);
        }

        if (elementType == typeof(float))
        {
            return GC.AllocateUninitializedArray<float>(length);
        }

        if (elementType == typeof(int))
        {
            return GC.AllocateUninitializedArray<int>(length);
        }

        if (elementType == typeof(long))
        {
            return GC.AllocateUninitializedArray<long>(length);
        }

        if (elementType == typeof(byte))
        {
            return GC.AllocateUninitializedArray<byte>(length);
        }

        return Array.CreateInstance(elementType, length);
    }
}
