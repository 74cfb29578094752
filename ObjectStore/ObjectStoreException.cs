namespace OrleansRay.ObjectStore;

/// <summary>A request to the object store failed.</summary>
public class ObjectStoreException : Exception
{
    public ObjectStoreException()
    {
    }

    public ObjectStoreException(string message)
        : base(message)
    {
    }

    public ObjectStoreException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
