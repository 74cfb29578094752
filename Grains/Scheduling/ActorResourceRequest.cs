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

    /// <summary>The caller's cancellation callback; taken back once the resources are granted, so a long-lived token
    /// does not keep one callback per actor ever created.</summary>
    public CancellationTokenRegistration Cancellation { get; set; }

    /// <summary>Grants the request: completes it and unregisters its cancellation (without waiting for a callback that
    /// may be running: it takes the scheduler's lock, which the caller holds).</summary>
    public void Grant()
    {
        Cancellation.Unregister();
        Completion.TrySetResult();
    }
}
