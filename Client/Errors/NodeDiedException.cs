namespace OrleansRay;

/// <summary>The node running the task died and retries are exhausted.</summary>
[GenerateSerializer, Alias("orleansray.NodeDiedException")]
public sealed class NodeDiedException : RayException
{
    /// <summary>Creates the exception with a message that says what happened and what to do.</summary>
    public NodeDiedException(string message) : base(message)
    {
    }

    internal NodeDiedException(RayError error) : base(error, error.Message, error.Original)
    {
    }
}
