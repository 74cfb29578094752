namespace OrleansRay;

/// <summary>Produces zero-copy views of array objects.</summary>
/// <remarks>An object kept in the owner's memory is viewed in place (the array itself, never copied); the ref is held
/// by the buffer so the object cannot be freed while the view lives.</remarks>
internal static class ObjectBufferReader
{
    public static async ValueTask<ObjectBuffer<T>> GetAsync<T>(IRay ray, ObjectRef<T[]> objectRef, CancellationToken cancellationToken) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(objectRef);
        var (runtime, entry) = ObjectResolver.Find(objectRef);
        if (!entry.IsComplete)
        {
            await runtime.WaitForAsync(entry, null, cancellationToken).ConfigureAwait(false);
        }

        if (entry.IsFailed)
        {
            throw ErrorMapper.ToException(entry.Error!);
        }

        return entry.Value switch
        {
            T[] array => new ObjectBuffer<T>(array, pin: null, keepAlive: objectRef),
            null => new ObjectBuffer<T>(ReadOnlyMemory<T>.Empty, pin: null, keepAlive: objectRef),
            var other => throw new InvalidCastException($"Object {objectRef.Id} holds a {other.GetType().FullName}, not a {typeof(T).Name}[]."),
        };
    }
}
