namespace OrleansRay.Scheduling;

/// <summary>An actor waiting for its resources.</summary>
internal sealed class ActorResourceRequest
{
    public ActorResourceRequest(ResourceSet shape, ActorId actorId)
    {
        Shape = shape;
        ActorId = actorId;
    }

    public ResourceSet Shape { get; }

    public ActorId ActorId { get; }

    public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
