namespace OrleansRay;

/// <summary>The actor was killed, its constructor threw, or it died past MaxRestarts.</summary>
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
