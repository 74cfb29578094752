namespace OrleansRay.ObjectStore;

/// <summary>Pulling an object from a peer store failed (the peer died, does not have it, or the connection broke); retry from another copy.</summary>
public sealed class ObjectTransferException : ObjectStoreException
{
    /// <summary>The advice a pull failure's message ends with, for the store's own callers: a runtime that reports the
    /// loss to a user removes it (a user cannot pick another copy).</summary>
    public const string RetryAdvice = " Retry from another copy.";

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
