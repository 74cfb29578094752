namespace OrleansRay.ObjectStore.Protocol;

/// <summary>Maps failures to reply statuses on the store side and back to exceptions on the client side.</summary>
internal static class ReplyErrors
{
    public static ReplyStatus StatusOf(Exception exception) => exception switch
    {
        ProtocolException or ArgumentException => ReplyStatus.BadRequest,
        KeyNotFoundException => ReplyStatus.NotFound,
        ObjectAlreadyExistsException => ReplyStatus.AlreadyExists,
        ObjectStoreFullException => ReplyStatus.StoreFull,
        ObjectTransferException => ReplyStatus.TransferFailed,
        ObjectDisposedException or OperationCanceledException => ReplyStatus.ShuttingDown,
        InvalidOperationException => ReplyStatus.InvalidState,
        _ => ReplyStatus.Failed,
    };

    public static Exception ToException(ReplyStatus status, string message) => status switch
    {
        ReplyStatus.BadRequest => new ArgumentException(message),
        ReplyStatus.NotFound => new KeyNotFoundException(message),
        ReplyStatus.AlreadyExists => new ObjectAlreadyExistsException(message),
        ReplyStatus.StoreFull => new ObjectStoreFullException(message),
        ReplyStatus.TransferFailed => new ObjectTransferException(message),
        ReplyStatus.InvalidState => new InvalidOperationException(message),
        ReplyStatus.ShuttingDown => new ObjectStoreException($"The object store is shutting down: {message}"),
        _ => new ObjectStoreException(message),
    };
}
