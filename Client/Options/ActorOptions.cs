namespace OrleansRay;

/// <summary>Options of an actor.</summary>
public sealed class ActorOptions
{
    /// <summary>A name, unique in the namespace, to find it with GetActorAsync. Default: none.</summary>
    public string? Name { get; set; }

    /// <summary>The namespace of <see cref="Name"/>. Default: the driver's <see cref="RayOptions.Namespace"/>.</summary>
    public string? Namespace { get; set; }

    /// <summary>Whether it outlives its creator. Default: <see cref="ActorLifetime.NonDetached"/>.</summary>
    public ActorLifetime Lifetime { get; set; }

    /// <summary>CPUs it holds while alive. Default: 0 (as in Ray, an actor reserves no CPU unless asked).</summary>
    public double NumCpus { get; set; }

    /// <summary>GPUs it holds while alive. Default: 0.</summary>
    public double NumGpus { get; set; }

    /// <summary>Bytes of "memory" resource it holds. Default: 0.</summary>
    public long Memory { get; set; }

    /// <summary>Custom resources it holds while alive. Default: none.</summary>
    public Dictionary<string, double> Resources { get; } = new(StringComparer.Ordinal);

    /// <summary>Times it is re-created after dying (node death, or a kill with noRestart: false). Default: 0.</summary>
    public int MaxRestarts { get; set; }

    /// <summary>Times a call lost with the actor's node (queued or running there when the node died) is re-sent to the
    /// restarted actor; -1 for unlimited. Default: 0 (such calls fail with <see cref="ActorDiedException"/>).</summary>
    /// <remarks>
    /// <para>As in Ray, this is at-least-once execution: a re-sent call may already have run, partly or wholly, on the
    /// instance that died, so its side effects outside the actor can happen twice; on the restarted instance it sees that
    /// instance's state (what the constructor made, plus the calls run there before it), not the dead one's.</para>
    /// <para>Re-sent calls keep their order: one submitter's calls (the driver's, a task's, an actor's) run on the
    /// restarted actor in the order they were submitted, lost ones before later ones. A call whose result had already
    /// arrived is not re-sent. A call that has used up its retries, or whose actor cannot restart
    /// (<see cref="MaxRestarts"/>), fails with <see cref="ActorDiedException"/> saying which. Calls running when
    /// <c>KillAsync(handle, noRestart: false)</c> restarts the actor are not retried.</para>
    /// </remarks>
    public int MaxTaskRetries { get; set; }

    /// <summary>Calls run at once. Default: 1 (one at a time, in order).</summary>
    public int MaxConcurrency { get; set; } = 1;

    /// <summary>Where the actor may be placed. Default: <see cref="SchedulingStrategy.Default"/>.</summary>
    public SchedulingStrategy SchedulingStrategy { get; set; } = SchedulingStrategy.Default;

    /// <summary>The placement group whose reserved resources the actor holds. Default: none.</summary>
    /// <remarks>The actor takes its resources (NumCpus, ...) from the bundle instead of the node's free pool, so it lives
    /// on the node holding that bundle, and waits while the group is pending. The bundle must be able to hold it.</remarks>
    public PlacementGroup? PlacementGroup { get; set; }

    /// <summary>The bundle of <see cref="PlacementGroup"/> to live in: 0 to BundleCount - 1, or -1 (the default) for any bundle.</summary>
    public int BundleIndex { get; set; } = -1;

    /// <summary>Where the actor goes: its scheduling strategy, or its placement-group bundle.</summary>
    internal PlacementHint ToPlacementHint() => PlacementGroup is { } group
        ? group.ToHint(BundleIndex, ResourceShape.Build(NumCpus, NumGpus, Memory, Resources, nameof(ActorOptions)).IsEmpty)
        : (SchedulingStrategy ?? SchedulingStrategy.Default).ToHint();

    internal ResourceSet ToResourceSet() =>
        ResourceShape.InGroup(ResourceShape.Build(NumCpus, NumGpus, Memory, Resources, nameof(ActorOptions)), PlacementGroup, BundleIndex, nameof(ActorOptions));

    /// <summary>The options as they travel with the actor's creation; <paramref name="defaultNamespace"/> when no
    /// <see cref="Namespace"/> is set.</summary>
    internal ActorOptionsData ToData(string defaultNamespace) => new()
    {
        Name = Name ?? string.Empty,
        Namespace = Namespace ?? defaultNamespace,
        Detached = Lifetime == ActorLifetime.Detached,
        Resources = ToResourceSet(),
        MaxRestarts = MaxRestarts < 0 ? int.MaxValue : MaxRestarts,
        MaxTaskRetries = MaxTaskRetries < 0 ? int.MaxValue : MaxTaskRetries,
        MaxConcurrency = MaxConcurrency,
        Placement = ToPlacementHint(),
    };

    internal void Validate()
    {
        ResourceShape.CheckGroupOptions(PlacementGroup, BundleIndex, SchedulingStrategy, nameof(ActorOptions));
        if (MaxConcurrency < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxConcurrency), MaxConcurrency, "ActorOptions.MaxConcurrency must be >= 1.");
        }

        if (MaxRestarts < -1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRestarts), MaxRestarts, "ActorOptions.MaxRestarts must be >= 0 (or -1 for unlimited).");
        }

        if (MaxTaskRetries < -1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxTaskRetries), MaxTaskRetries, "ActorOptions.MaxTaskRetries must be >= 0 (or -1 for unlimited).");
        }

        if (Name is not null && string.IsNullOrWhiteSpace(Name))
        {
            throw new ArgumentException("ActorOptions.Name cannot be blank; leave it null for an unnamed actor.", nameof(Name));
        }
    }
}
