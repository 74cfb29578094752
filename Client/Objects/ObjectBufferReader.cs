using OrleansRay.Execution;
using OrleansRay.Ownership;

namespace OrleansRay;

/// <summary>Produces zero-copy views of array objects.</summary>
/// <remarks>An array in the node's object store is viewed in the store's shared memory, pinned there until the buffer
/// is disposed (the store defers deleting it meanwhile). An array kept in the owner's memory is viewed in place (the
/// array itself, never copied); the ref is held by the buffer so the object cannot be freed while the view lives.</remarks>
internal static class ObjectBufferReader
{
    public static async ValueTask<ObjectBuffer<T>> GetAsync<T>(IRay ray, ObjectRef<T[]> objectRef, CancellationToken cancellationToken) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(objectRef);
        var (runtime, entry) = ObjectResolver.Find(objectRef);
        if (!entry.IsComplete)
        {
            await ObjectWaiter.WaitOneAsync(entry, null, cancellationToken).ConfigureAwait(false);
        }

        if (entry.IsFailed)
        {
            throw StoreErrors.ToException(entry.Error!);
        }

        if (entry.StoredObject is { } stored)
        {
            if (stored.ElementType == typeof(T))
            {
                // In this runtime's store (pulled there first when another node holds it): a view of shared memory.
                try
                {
                    return await runtime.Values.GetBufferAsync<T>(stored, cancellationToken).ConfigureAwait(false);
                }
                catch (RayErrorException ex) when (ex.Error.Kind == RayErrorKind.ObjectLost && runtime.Objects.Recover?.Invoke(entry, stored) == true)
                {
                    // Rebuilt from its lineage (or failed with why it cannot be): read what it is now.
                    return await GetAsync(ray, objectRef, cancellationToken).ConfigureAwait(false);
                }
                catch (RayErrorException ex)
                {
                    throw StoreErrors.ToException(ex.Error);
                }
                catch (Exception ex) when (StoreErrors.OnRead(ex, entry.Id) is { } mapped)
                {
                    throw mapped;
                }
                finally
                {
                    GC.KeepAlive(objectRef);
                }
            }

            // Serialized (not a raw array of T): copy it out once and view the copy.
            var value = await ObjectResolver.ReadAsync<T[]>(runtime, entry, cancellationToken).ConfigureAwait(false);
            return new ObjectBuffer<T>(value is null ? ReadOnlyMemory<T>.Empty : value, pin: null, keepAlive: null);
        }

        return entry.Value switch
        {
            T[] array => new ObjectBuffer<T>(array, pin: null, keepAlive: objectRef),
            null => new ObjectBuffer<T>(ReadOnlyMemory<T>.Empty, pin: null, keepAlive: objectRef),
            var other => throw new InvalidCastException($"Object {objectRef.Id} holds a {other.GetType().FullName}, not a {typeof(T).Name}[]."),
        };
    }
}
