namespace OrleansRay.ObjectStore;

/// <summary>Pulling an object from a peer store failed (the peer died, does not have it, or the connection broke); retry from another copy.</summary>
public sealed class ObjectTransferException : ObjectStoreException
{
    public ObjectTransferException()
    {
    }

    public ObjectTransferException(string message)
        : base(message)
    {
    }

    public ObjectTransferException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
