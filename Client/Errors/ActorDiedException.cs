namespace OrleansRay;

/// <summary>The actor was killed, its constructor threw, or it died past MaxRestarts; or the call was lost with the
/// actor's node and its MaxTaskRetries were used up.</summary>
[GenerateSerializer, Alias("orleansray.ActorDiedException")]
public sealed class ActorDiedException : RayException
{
    /// <summary>Creates the exception with a message that says what happened and what to do.</summary>
    public ActorDiedException(string message) : base(message)
    {
    }

    internal ActorDiedException(RayError error) : base(error, error.Message, error.Original)
    {
    }
}
