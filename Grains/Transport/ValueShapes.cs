using System.Collections.Concurrent;

namespace OrleansRay.Transport;

/// <summary>What a value's type says about its contents, without looking at the value: used to decide which values may
/// leave the owner's memory (the object store, another node) without hiding refs from reference counting, and which
/// values are certain to serialize.</summary>
internal static class ValueShapes
{
    private static readonly ConcurrentDictionary<Type, bool> RefFree = new();

    /// <summary>True for primitives, strings and the like, and arrays and System collections/tuples of them: nothing
    /// inside can be an ObjectRef or ActorHandle. Cached per type.</summary>
    /// <remarks>A type of a job's code (a collectible load context) is not cached: the cache must not keep the job's
    /// context from unloading.</remarks>
    public static bool CannotHoldRefs(Type type) => type.Assembly.IsCollectible ? Compute(type) : RefFree.GetOrAdd(type, static t => Compute(t));

    private static bool Compute(Type t)
    {
        if (t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(decimal) || t == typeof(DateTime) || t == typeof(DateTimeOffset) || t == typeof(TimeSpan) || t == typeof(Guid))
        {
            return true;
        }

        if (t.IsArray)
        {
            return CannotHoldRefs(t.GetElementType()!);
        }

        return t.IsGenericType && t.Namespace?.StartsWith("System", StringComparison.Ordinal) == true && t.GetGenericArguments().All(CannotHoldRefs);
    }
}
