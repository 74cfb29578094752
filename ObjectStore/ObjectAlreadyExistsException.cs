namespace OrleansRay.ObjectStore;

/// <summary>An object with this id already exists in the store (objects are immutable: create each id once).</summary>
public sealed class ObjectAlreadyExistsException : ObjectStoreException
{
    public ObjectAlreadyExistsException()
    {
    }

    public ObjectAlreadyExistsException(string message)
        : base(message)
    {
    }

    public ObjectAlreadyExistsException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
