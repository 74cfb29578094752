namespace OrleansRay.Code;

/// <summary>Collects the ObjectRefs a value holds while it is packed, so the <see cref="PackedValue"/> can carry them as
/// live references beside its bytes (refs only inside bytes would not count, and their objects could be freed while the
/// packed value waits to be read).</summary>
internal static class PackingRefs
{
    [ThreadStatic]
    private static List<object>? _collecting;

    /// <summary>True while a value is packed on this thread.</summary>
    public static bool IsCollecting => _collecting is not null;

    /// <summary>Called by the ObjectRef serialization hook while a value is packed: records a reference of its own to
    /// an object the value holds (untyped: <c>ObjectRef&lt;object&gt;</c>, so it crosses any serializer).</summary>
    public static void Written(object reference) => _collecting?.Add(reference);

    /// <summary>Runs <paramref name="serialize"/> and returns what it made, with the refs it wrote (null when none).</summary>
    public static (byte[] Bytes, object[]? Refs) Collect<TState>(Func<TState, byte[]> serialize, TState state)
    {
        var previous = _collecting;
        var refs = new List<object>();
        _collecting = refs;
        try
        {
            var bytes = serialize(state);
            return (bytes, refs.Count == 0 ? null : [.. refs]);
        }
        finally
        {
            _collecting = previous;
        }
    }
}
