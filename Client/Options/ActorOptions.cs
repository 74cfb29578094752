namespace OrleansRay;

/// <summary>Options of an actor.</summary>
public sealed class ActorOptions
{
    /// <summary>A name, unique in the namespace, to find it with GetActorAsync. Default: none.</summary>
    public string? Name { get; set; }

    /// <summary>Ray's <c>get_if_exists</c>: when a live actor already holds <see cref="Name"/> in the namespace,
    /// <c>Remote()</c> (or <c>CreateActorAsync</c>) returns a handle to that actor, with its state, instead of refusing
    /// the name; otherwise it creates the actor. Getting and creating are one step at the actor directory, so of many
    /// creators racing for one name every one gets the same actor. Default: false.</summary>
    /// <remarks>The other options (resources, lifetime, constructor arguments) apply only when this creates the actor.
    /// Throws <see cref="ArgumentException"/> at <c>Remote()</c> without a <see cref="Name"/>, or when the actor holding
    /// the name is of another class (or grain interface).</remarks>
    public bool GetIfExists { get; set; }

    /// <summary>The namespace of <see cref="Name"/>. Default: the driver's <see cref="RayOptions.Namespace"/>. An empty or
    /// blank one is refused with <see cref="ArgumentException"/> at <c>Remote()</c>.</summary>
    public string? Namespace { get; set; }

    /// <summary>Whether it outlives its creator. Default: <see cref="ActorLifetime.NonDetached"/>.</summary>
    /// <remarks>A <see cref="ActorLifetime.Detached"/> actor outlives its creator's job, and is restarted after its node
    /// dies as any actor is: at the next call or lookup, on a live node, constructor run again, state reset, while
    /// <see cref="MaxRestarts"/> allows (Ray's rule; with the default 0 its calls then fail with
    /// <see cref="ActorDiedException"/>). It also outlives the cluster when the actor table is kept in <c>--storage</c>:
    /// after a restart of the head (and so of the control store), its next call or lookup rebuilds it from its record
    /// whatever MaxRestarts says, and that comeback does not use one of its restarts. A kill ends it:
    /// <c>KillAsync(handle)</c> for good; <c>KillAsync(handle, noRestart: false)</c> restarts it only while MaxRestarts
    /// allows.</remarks>
    public ActorLifetime Lifetime { get; set; }

    /// <summary>CPUs it holds while alive. Default: 0 (as in Ray, an actor reserves no CPU unless asked).</summary>
    public double NumCpus { get; set; }

    /// <summary>GPUs it holds while alive. Default: 0. A fraction below 1 shares one GPU with other work; above 1, a whole
    /// number (1.5 is refused with <see cref="ArgumentOutOfRangeException"/> at <c>Remote()</c>, as Ray refuses it). Which
    /// GPUs: <see cref="RayContext.GpuIds"/> (<c>ActorGrain.GpuIds</c> behind a grain interface).</summary>
    public double NumGpus { get; set; }

    /// <summary>Bytes of "memory" resource it holds. Default: 0.</summary>
    public long Memory { get; set; }

    /// <summary>Custom resources it holds while alive. Default: none.</summary>
    public Dictionary<string, double> Resources { get; } = new(StringComparer.Ordinal);

    /// <summary>Times it is re-created after dying (node death, or a kill with noRestart: false). Default: 0.</summary>
    /// <remarks>Bounds detached and job-scoped actors alike, as in Ray: an actor with restarts left is rebuilt at its next
    /// call, its state reset; with none left, its calls fail with <see cref="ActorDiedException"/>. The one comeback it
    /// does not count is a <see cref="ActorLifetime.Detached"/> actor's after the control store restarted (see
    /// <see cref="Lifetime"/>). -1 for unlimited.</remarks>
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

    /// <summary>Calls of the default concurrency group run at once (Ray's <c>max_concurrency</c>). Default: null, which
    /// is Ray's default: 1 (one at a time, in order) for an actor, 1000 for an async actor
    /// (<see cref="AsyncActorAttribute"/>).</summary>
    /// <remarks>Above 1, an actor's calls run in parallel on worker threads (Ray's threaded actors), and its code guards
    /// its own state; an async actor's calls interleave at their awaits on one exclusive context instead.</remarks>
    public int? MaxConcurrency { get; set; }

    /// <summary>The actor's concurrency groups: name to the number of its calls that run at once (Ray's
    /// <c>concurrency_groups={"io": 2, "compute": 4}</c>). Default: none (every call is in the default group).</summary>
    /// <remarks>
    /// <para>A method joins a group with <see cref="ConcurrencyGroupAttribute"/>, a call with
    /// <see cref="ActorCallOptions.ConcurrencyGroup"/>. Each group has its own slots, so a group whose calls are all
    /// busy holds up no other group; methods in no group take the default group's slots
    /// (<see cref="MaxConcurrency"/>). One caller's calls of one group start in submission order; a call of another group
    /// may start before them.</para>
    /// <para>In an async actor (<see cref="AsyncActorAttribute"/>) each group has its own exclusive context (Ray: its own
    /// event loop), so calls of different groups may run at the same instant; in other actors a group's calls run on
    /// worker threads up to its limit. Names are case-sensitive and not blank; limits are at least 1. Not supported for
    /// actors behind grain interfaces.</para>
    /// </remarks>
    public Dictionary<string, int> ConcurrencyGroups { get; } = new(StringComparer.Ordinal);

    /// <summary>Where the actor may be placed. Default: <see cref="SchedulingStrategy.Default"/>.</summary>
    /// <remarks>Setting it, even to <see cref="SchedulingStrategy.Default"/>, keeps an actor created by a task or actor
    /// that captures its children (<see cref="PlacementGroupCaptureChildTasks"/>) out of that one's placement group (Ray:
    /// <c>PlacementGroupSchedulingStrategy(placement_group=None)</c>); left unset, such an actor lives in the group.</remarks>
    public SchedulingStrategy SchedulingStrategy
    {
        get => _schedulingStrategy ?? SchedulingStrategy.Default;
        set => _schedulingStrategy = value;
    }

    /// <summary>The strategy as given: null when it was never set (then a captured child goes into its parent's group).</summary>
    private SchedulingStrategy? _schedulingStrategy;

    /// <summary>The placement group whose reserved resources the actor holds. Default: none.</summary>
    /// <remarks>The actor takes its resources (NumCpus, ...) from the bundle instead of the node's free pool, so it lives
    /// on the node holding that bundle, and waits while the group is pending. The bundle must be able to hold it.</remarks>
    public PlacementGroup? PlacementGroup { get; set; }

    /// <summary>The bundle of <see cref="PlacementGroup"/> to live in: 0 to BundleCount - 1, or -1 (the default) for any bundle.</summary>
    public int BundleIndex { get; set; } = -1;

    /// <summary>Ray's <c>placement_group_capture_child_tasks</c>: the tasks this actor submits and the actors it creates
    /// run in <see cref="PlacementGroup"/> too (any bundle), and capture their own children in turn, unless they name a
    /// group or a <see cref="SchedulingStrategy"/> of their own. Default: false: the children of work that names its group
    /// are placed as if the driver submitted them, while work that was itself captured captures its children whatever
    /// this says (as in Ray: only a <see cref="SchedulingStrategy"/> of their own takes them out). Needs
    /// <see cref="PlacementGroup"/>.</summary>
    /// <remarks>A captured child takes its resources from a bundle, so a group whose bundles its members already fill
    /// leaves their children waiting until one frees, as in Ray; a child that no bundle could ever hold is refused with
    /// <see cref="ArgumentException"/> when it is submitted. Code in the group reads it from
    /// <see cref="RayContext.PlacementGroup"/>. An actor behind a grain interface (<c>CreateActorAsync</c>) refuses it with
    /// <see cref="ArgumentException"/>: its methods run as grain calls, outside any task.</remarks>
    public bool PlacementGroupCaptureChildTasks { get; set; }

    /// <summary>Environment variables of the actor's own runtime env (Ray's
    /// <c>.options(runtime_env={"env_vars": {...}})</c> on an actor), set over the job's
    /// (<see cref="RuntimeEnv.EnvVars"/>) and over those of the task or actor creating it. Default: none.</summary>
    /// <remarks>As in Ray, its constructor and methods see them (<see cref="RayContext.GetEnvironmentVariable"/>,
    /// <see cref="RayContext.EnvVars"/>), for its whole life and across restarts, and the tasks and actors they submit
    /// inherit them. They are not the node process's environment (ADR 0008). A name that is empty or holds '=', or a
    /// null value, is refused with <see cref="ArgumentException"/> at <c>Remote()</c>; an actor behind a grain interface
    /// (<c>CreateActorAsync</c>) refuses any, and does not inherit those of the task creating it: its methods run as grain
    /// calls, outside any task, and see the job's only.</remarks>
    public Dictionary<string, string> EnvVars { get; } = new(StringComparer.Ordinal);

    /// <summary>A copy whose dictionaries are its own (a new option must be added here too).</summary>
    internal ActorOptions Copy()
    {
        var copy = new ActorOptions
        {
            Name = Name, GetIfExists = GetIfExists, Namespace = Namespace, Lifetime = Lifetime, NumCpus = NumCpus, NumGpus = NumGpus, Memory = Memory,
            MaxRestarts = MaxRestarts, MaxTaskRetries = MaxTaskRetries, MaxConcurrency = MaxConcurrency,
            _schedulingStrategy = _schedulingStrategy, PlacementGroup = PlacementGroup, BundleIndex = BundleIndex,
            PlacementGroupCaptureChildTasks = PlacementGroupCaptureChildTasks,
        };
        foreach (var (resource, amount) in Resources)
        {
            copy.Resources[resource] = amount;
        }

        foreach (var (group, limit) in ConcurrencyGroups)
        {
            copy.ConcurrencyGroups[group] = limit;
        }

        foreach (var (name, value) in EnvVars)
        {
            copy.EnvVars[name] = value;
        }

        return copy;
    }

    /// <summary>What the actor holds and where it goes: its scheduling strategy, its placement-group bundle, or its
    /// creator's group when the creator captures its children (see <see cref="ResourceShape.Place"/>).</summary>
    internal (ResourceSet Resources, PlacementHint Placement) ToPlacement() => ResourceShape.Place(
        ResourceShape.Build(NumCpus, NumGpus, Memory, Resources, nameof(ActorOptions)), PlacementGroup, BundleIndex, PlacementGroupCaptureChildTasks, _schedulingStrategy, nameof(ActorOptions));

    /// <summary>The options as they travel with the actor's creation; <paramref name="defaultNamespace"/> when no
    /// <see cref="Namespace"/> is set.</summary>
    /// <param name="defaultNamespace">The namespace when none is set.</param>
    /// <param name="isAsync">Whether the actor's class is an async actor (<see cref="AsyncActorAttribute"/>).</param>
    /// <param name="envVars">Its runtime env variables: <see cref="EnvVars"/> merged over its creator's; null for none.</param>
    internal ActorOptionsData ToData(string defaultNamespace, bool isAsync = false, IReadOnlyDictionary<string, string>? envVars = null)
    {
        var (resources, placement) = ToPlacement();
        return new()
        {
            Name = Name ?? string.Empty,
            Namespace = Namespace ?? defaultNamespace,
            Detached = Lifetime == ActorLifetime.Detached,
            Resources = resources,
            MaxRestarts = MaxRestarts < 0 ? int.MaxValue : MaxRestarts,
            MaxTaskRetries = MaxTaskRetries < 0 ? int.MaxValue : MaxTaskRetries,
            MaxConcurrency = MaxConcurrency ?? (isAsync ? AsyncActorDefaultMaxConcurrency : 1),
            Placement = placement,
            IsAsync = isAsync,
            ConcurrencyGroups = ConcurrencyGroups.Count == 0 ? null : new Dictionary<string, int>(ConcurrencyGroups, StringComparer.Ordinal),
            EnvVars = Execution.JobScope.ForWire(envVars),
        };
    }

    /// <summary>Ray's default max_concurrency of an async actor.</summary>
    internal const int AsyncActorDefaultMaxConcurrency = 1000;

    internal void Validate()
    {
        if (Namespace is not null && string.IsNullOrWhiteSpace(Namespace))
        {
            throw new ArgumentException("ActorOptions.Namespace is empty: name one, or leave it null for the driver's (RayOptions.Namespace).", nameof(Namespace));
        }

        ResourceShape.CheckGroupOptions(PlacementGroup, BundleIndex, PlacementGroupCaptureChildTasks, _schedulingStrategy, nameof(ActorOptions));
        RuntimeEnv.CheckEnvVars(EnvVars, "ActorOptions.EnvVars", nameof(EnvVars));
        if (MaxConcurrency < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxConcurrency), MaxConcurrency, "ActorOptions.MaxConcurrency must be >= 1 (or null for the default).");
        }

        foreach (var (group, limit) in ConcurrencyGroups)
        {
            if (string.IsNullOrWhiteSpace(group))
            {
                throw new ArgumentException("ActorOptions.ConcurrencyGroups has a blank group name; name each group.", nameof(ConcurrencyGroups));
            }

            if (limit < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(ConcurrencyGroups), limit, $"ActorOptions.ConcurrencyGroups[\"{group}\"] must be >= 1 (calls of the group that run at once).");
            }
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

        if (GetIfExists && Name is null)
        {
            throw new ArgumentException("ActorOptions.GetIfExists needs a Name: it gets the live actor of that name, or creates one.", nameof(GetIfExists));
        }
    }
}
