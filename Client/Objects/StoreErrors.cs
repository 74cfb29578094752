using OrleansRay.ObjectStore;

namespace OrleansRay;

/// <summary>Turns the object store's failures into OrleansRay exceptions, so callers never see the store's own types
/// (and never wait on a store that has gone).</summary>
internal static class StoreErrors
{
    private static readonly string FullTypeName = typeof(ObjectStoreFullException).FullName!;

    /// <summary>The exception for a captured error, with "object store full" results mapped to <see cref="ObjectStoreFullRayException"/>.</summary>
    public static RayException ToException(RayError error) =>
        error.Kind == RayErrorKind.TaskFailed && error.ExceptionType == FullTypeName
            ? new ObjectStoreFullRayException(error)
            : ErrorMapper.ToException(error);

    /// <summary>Maps an exception thrown by the store while putting a value; null when it is not a store failure.</summary>
    public static Exception? OnPut(Exception exception) => exception switch
    {
        ObjectStoreFullException full => new ObjectStoreFullRayException(full.Message, full),
        ObjectStoreException store => new RayException($"The node's object store refused the value: {store.Message}", store),
        ObjectDisposedException => new ObjectDisposedException((string?)null, "The OrleansRay node has shut down: its object store is closed."),
        _ => null,
    };

    /// <summary>Maps an exception thrown by the store while reading object <paramref name="id"/>; null when it is not a store failure.</summary>
    public static Exception? OnRead(Exception exception, ObjectId id) => exception switch
    {
        ObjectStoreFullException full => new ObjectStoreFullRayException($"Object {id} could not be read: the node's object store has no room to restore or pull it: {full.Message}", full),
        TimeoutException or ObjectStoreException => new ObjectLostException($"Object {id} could not be read from the node's object store: {exception.Message}"),
        ObjectDisposedException => new ObjectLostException($"Object {id} is gone: the node's object store has shut down."),
        _ => null,
    };
}
