namespace OrleansRay.Ownership;

/// <summary>Carries a <see cref="RayError"/> out of runtime code; the public API turns it into the matching RayException.</summary>
internal sealed class RayErrorException : Exception
{
    public RayErrorException(RayError error) : base(error?.Message)
    {
        Error = error ?? throw new ArgumentNullException(nameof(error));
    }

    public RayErrorException()
    {
        Error = RayError.Create(RayErrorKind.ObjectLost, "Unknown error.");
    }

    public RayErrorException(string message) : base(message)
    {
        Error = RayError.Create(RayErrorKind.ObjectLost, message);
    }

    public RayErrorException(string message, Exception innerException) : base(message, innerException)
    {
        Error = RayError.Create(RayErrorKind.ObjectLost, message);
    }

    public RayError Error { get; }
}
