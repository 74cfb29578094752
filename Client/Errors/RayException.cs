namespace OrleansRay;

/// <summary>The base of every OrleansRay failure.</summary>
[GenerateSerializer, Alias("orleansray.RayException")]
public class RayException : Exception, IRayErrorSource
{
    /// <summary>Creates an exception with a message.</summary>
    public RayException(string message) : base(message)
    {
    }

    /// <summary>Creates an exception with a message and a cause.</summary>
    public RayException(string message, Exception? innerException) : base(message, innerException)
    {
    }

    /// <summary>Creates an exception for a captured error.</summary>
    internal RayException(RayError error, string message, Exception? innerException = null) : base(message, innerException)
    {
        Error = error;
    }

    /// <summary>The captured error this exception reports (kept so a task that rethrows it propagates the original).</summary>
    [Id(0)]
    public RayError? Error { get; private set; }
}
