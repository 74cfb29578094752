namespace OrleansRay.ObjectStore.Protocol;

/// <summary>A frame broke the protocol (too short, too long, wrong field); the request is rejected.</summary>
internal sealed class ProtocolException : Exception
{
    public ProtocolException(string message)
        : base(message)
    {
    }
}
