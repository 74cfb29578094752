using OrleansRay.Execution;
using OrleansRay.Ownership;

namespace OrleansRay;

/// <summary>Produces zero-copy views of array objects.</summary>
/// <remarks>An array in the node's object store is viewed in the store's shared memory, pinned there until the buffer
/// is disposed (the store defers deleting it meanwhile). An array kept in the owner's memory is viewed in place (the
/// array itself, never copied); the ref is held by the buffer so the object cannot be freed while the view lives.</remarks>
internal static class ObjectBufferReader
{
    /// <summary>How often one view rebuilds a lost object before it gives up (each rebuild also counts against the
    /// making task's retries, which usually end it first).</summary>
    private const int MaxRecoveries = 8;

    /// <summary>A view of <paramref name="objectRef"/>'s array, for the <c>IRay</c> whose reader is <paramref name="caller"/>.</summary>
    public static async ValueTask<ObjectBuffer<T>> GetAsync<T>(ObjectReader caller, ObjectRef<T[]> objectRef, CancellationToken cancellationToken) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(objectRef);
        var (runtime, entry) = ObjectResolver.Find(objectRef, caller);
        for (var recoveries = 0; ; recoveries++)
        {
            var outcome = entry.Read();
            if (!outcome.IsComplete)
            {
                // Pending (or made pending again while it is rebuilt): wait, then look again.
                await ObjectWaiter.WaitOneAsync(entry, null, cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (outcome.Error is { } error)
            {
                throw StoreErrors.ToException(error);
            }

            if (outcome.Stored is not { } stored)
            {
                return outcome.Value switch
                {
                    T[] array => new ObjectBuffer<T>(array, pin: null, keepAlive: objectRef),
                    null => new ObjectBuffer<T>(ReadOnlyMemory<T>.Empty, pin: null, keepAlive: objectRef),
                    var other => throw new InvalidCastException($"Object {objectRef.Id} holds a {other.GetType().FullName}, not a {typeof(T).Name}[]."),
                };
            }

            if (stored.ElementType != typeof(T))
            {
                // Serialized (not a raw array of T): copy it out once and view the copy.
                var value = await ObjectResolver.ReadAsync<T[]>(runtime, entry, cancellationToken).ConfigureAwait(false);
                return new ObjectBuffer<T>(value is null ? ReadOnlyMemory<T>.Empty : value, pin: null, keepAlive: null);
            }

            // In this runtime's store (pulled there first when another node holds it): a view of shared memory.
            try
            {
                return await runtime.Values.GetBufferAsync<T>(stored, cancellationToken).ConfigureAwait(false);
            }
            catch (RayErrorException ex) when (ex.Error.Kind == RayErrorKind.ObjectLost && recoveries < MaxRecoveries
                && runtime.TryRecover(entry, stored))
            {
                // Rebuilt from its lineage (or failed with why it cannot be): look at what it is now.
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
    }
}
