namespace OrleansRay;

/// <summary>Every copy of the object is gone and it could not be rebuilt.</summary>
[GenerateSerializer, Alias("orleansray.ObjectLostException")]
public sealed class ObjectLostException : RayException
{
    /// <summary>Creates the exception with a message that says what happened and what to do.</summary>
    public ObjectLostException(string message) : base(message)
    {
    }

    internal ObjectLostException(RayError error) : base(error, error.Message, error.Original)
    {
    }
}
