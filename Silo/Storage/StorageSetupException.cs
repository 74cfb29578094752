namespace OrleansRay.Silo.Storage;

/// <summary>The storage could not be set up; the message is one line that says which problem and what to do.</summary>
internal sealed class StorageSetupException : Exception
{
    public StorageSetupException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
