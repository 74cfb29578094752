namespace OrleansRay.Actors;

/// <summary>The node resources one actor holds while it lives (NumCpus, custom resources, a placement-group bundle):
/// requested when it is created, withdrawn if it dies while waiting, released once when it dies.</summary>
/// <remarks>Its mailbox's lock guards <see cref="Held"/> and <see cref="Release"/>; <see cref="Holds"/> may be read
/// without it.</remarks>
internal sealed class ActorResourceHold
{
    private readonly CancellationTokenSource _lifetime = new();
    private volatile bool _holds;

    /// <summary>True while the actor holds its resources.</summary>
    public bool Holds => _holds;

    /// <summary>True once the actor died: a request still waiting was withdrawn.</summary>
    public bool Withdrawn => _lifetime.IsCancellationRequested;

    /// <summary>Waits until the node grants the actor's resources (then call <see cref="Held"/>).</summary>
    /// <exception cref="OperationCanceledException">The actor died while waiting (<see cref="Withdraw"/>).</exception>
    public Task AcquireAsync(ActorServices runtime, ActorCreationSpec spec) =>
        runtime.Scheduler.Resources.AcquireForActorAsync(spec.Options.Resources, spec.ActorId, _lifetime.Token);

    /// <summary>Under the lock: the resources were granted.</summary>
    public void Held() => _holds = true;

    /// <summary>Under the lock: gives the resources back, once.</summary>
    public void Release(ActorServices runtime, ActorCreationSpec? spec)
    {
        if (_holds && spec is not null)
        {
            _holds = false;
            runtime.Scheduler.Resources.ReleaseForActor(spec.Options.Resources);
        }
    }

    /// <summary>The actor died: a request still waiting is withdrawn.</summary>
    public void Withdraw() => _lifetime.Cancel();
}
