namespace OrleansRay;

/// <summary>GetActorAsync found no actor of that name.</summary>
[GenerateSerializer, Alias("orleansray.ActorNotFoundException")]
public sealed class ActorNotFoundException : RayException
{
    /// <summary>Creates the exception with a message that says what happened and what to do.</summary>
    public ActorNotFoundException(string message) : base(message)
    {
    }

    internal ActorNotFoundException(RayError error) : base(error, error.Message, error.Original)
    {
    }
}
