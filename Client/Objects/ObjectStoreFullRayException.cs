namespace OrleansRay;

/// <summary>The node's object store had no room for a large value (everything in it was pinned or being written, and
/// nothing could be spilled before the store's deadline), or the value is larger than the whole store. The message
/// gives the store's size; dispose <see cref="ObjectBuffer{T}"/>s you no longer need, release refs, or raise
/// <see cref="RayOptions.ObjectStoreMemory"/>.</summary>
[GenerateSerializer, Alias("orleansray.ObjectStoreFullRayException")]
public sealed class ObjectStoreFullRayException : RayException
{
    /// <summary>Creates the exception with a message.</summary>
    public ObjectStoreFullRayException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the store's own exception.</summary>
    public ObjectStoreFullRayException(string message, Exception? innerException) : base(message, innerException)
    {
    }

    internal ObjectStoreFullRayException(RayError error) : base(error, error.Message, error.Original)
    {
    }
}
