namespace OrleansRay.Scheduling;

/// <summary>An actor waiting for its resources.</summary>
internal sealed class ActorResourceRequest
{
    public ActorResourceRequest(ResourceClaim claim, ActorId actorId)
    {
        Claim = claim;
        ActorId = actorId;
    }

    /// <summary>What the actor takes for its lifetime.</summary>
    public ResourceClaim Claim { get; }

    public ResourceSet Shape => Claim.Shape;

    public ActorId ActorId { get; }

    public TaskCompletionSource<GpuGrant?> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The caller's cancellation callback; taken back once the resources are granted, so a long-lived token
    /// does not keep one callback per actor ever created.</summary>
    public CancellationTokenRegistration Cancellation { get; set; }

    /// <summary>Grants the request with the GPU instances taken for it: completes it and unregisters its cancellation (without waiting for a callback that
    /// may be running: it takes the scheduler's lock, which the caller holds).</summary>
    public void Grant(GpuGrant? gpus)
    {
        Cancellation.Unregister();
        Completion.TrySetResult(gpus);
    }
}
