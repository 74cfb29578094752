namespace OrleansRay;

/// <summary>Per-call options of a task.</summary>
public sealed class TaskOptions
{
    /// <summary>CPUs the task holds while it runs. Default: 1.</summary>
    public double NumCpus { get; set; } = 1;

    /// <summary>GPUs the task holds while it runs. Default: 0. A fraction below 1 shares one GPU with other work; above 1,
    /// a whole number (1.5 is refused with <see cref="ArgumentOutOfRangeException"/> at <c>Remote()</c>, as Ray refuses it).
    /// Which GPUs: <see cref="RayContext.GpuIds"/>.</summary>
    public double NumGpus { get; set; }

    /// <summary>Bytes of "memory" resource the task holds. Default: 0.</summary>
    public long Memory { get; set; }

    /// <summary>Custom resources the task holds, e.g. <c>["accel"] = 1</c>. Default: none.</summary>
    public Dictionary<string, double> Resources { get; } = new(StringComparer.Ordinal);

    /// <summary>Re-runs when the node running it dies (and, with <see cref="RetryExceptions"/>, when it throws). Default: 3.</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>Retry when the function throws, whatever it throws (Ray's <c>retry_exceptions=True</c>), while
    /// <see cref="MaxRetries"/> lasts. Default: false. To retry only some exceptions, list their types in
    /// <see cref="RetryExceptionTypes"/> instead (giving both is refused).</summary>
    public bool RetryExceptions { get; set; }

    /// <summary>Exception types to retry (Ray's <c>retry_exceptions=[ValueError, ...]</c>): when it holds types, an
    /// exception the function throws runs the task again, while <see cref="MaxRetries"/> lasts, only when it is of one of
    /// them or derives from one; any other exception fails the task at once. Default: empty (then
    /// <see cref="RetryExceptions"/> decides). Add to it: <c>new TaskOptions { MaxRetries = 3, RetryExceptionTypes = {
    /// typeof(TimeoutException) } }</c>.</summary>
    /// <remarks>
    /// <para>Each type must be <see cref="Exception"/> or derive from it; <c>.Remote()</c> throws
    /// <see cref="ArgumentException"/> for one that is not (or null, or an open generic type), and when
    /// <see cref="RetryExceptions"/> is also true (give one or the other).</para>
    /// <para>The node that runs the task compares the full names of the thrown exception's type and of each of its base
    /// types with the listed types' full names, so job code loaded there in a load context of its own matches too. A
    /// failure the function rethrows from a task it awaited (a <see cref="RayTaskException"/>) also matches by the type
    /// that task threw (as <see cref="RayTaskException.Is(Type)"/>), as Ray's <c>RayTaskError</c> is an instance of its
    /// cause's class. A node's death is retried regardless (see <see cref="MaxRetries"/>).</para>
    /// </remarks>
    public IList<Type> RetryExceptionTypes { get; } = new List<Type>();

    /// <summary>Environment variables of this task's own runtime env (Ray's
    /// <c>.options(runtime_env={"env_vars": {...}})</c>), set over the job's (<see cref="RuntimeEnv.EnvVars"/>) and over
    /// those of the task or actor submitting it. Default: none.</summary>
    /// <remarks>As in Ray, the task's code sees them (<see cref="RayContext.GetEnvironmentVariable"/>,
    /// <see cref="RayContext.EnvVars"/>) and the tasks and actors it submits inherit them, each able to set its own over
    /// them. Nodes run many jobs in one process, so they are not the process's environment (ADR 0008). A name that is
    /// empty or holds '=', or a null value, is refused with <see cref="ArgumentException"/> at <c>Remote()</c>.</remarks>
    public Dictionary<string, string> EnvVars => _envVars ??= new(StringComparer.Ordinal);

    /// <summary>Made on first use: most options set no variables, and options made per call should not pay for them.</summary>
    private Dictionary<string, string>? _envVars;

    /// <summary>The variables set, or null when none are (without making the dictionary).</summary>
    internal Dictionary<string, string>? EnvVarsIfAny => _envVars is { Count: > 0 } vars ? vars : null;

    /// <summary>A name shown in errors and the dashboard. Default: the function's name.</summary>
    public string? Name { get; set; }

    /// <summary>Where the task may run. Default: <see cref="SchedulingStrategy.Default"/>.</summary>
    /// <remarks>Setting it, even to <see cref="SchedulingStrategy.Default"/>, keeps a task submitted by a task or actor
    /// that captures its children (<see cref="PlacementGroupCaptureChildTasks"/>) out of that one's placement group (Ray:
    /// <c>PlacementGroupSchedulingStrategy(placement_group=None)</c>); left unset, such a task runs in the group.</remarks>
    public SchedulingStrategy SchedulingStrategy
    {
        get => _schedulingStrategy ?? SchedulingStrategy.Default;
        set => _schedulingStrategy = value;
    }

    /// <summary>The strategy as given: null when it was never set (then a captured child goes into its parent's group).</summary>
    private SchedulingStrategy? _schedulingStrategy;

    /// <summary>The placement group whose reserved resources the task runs in. Default: none.</summary>
    /// <remarks>The task asks for its resources (NumCpus, ...) from the bundle instead of the node's free pool, so it runs
    /// on the node holding that bundle, and waits while the group is pending. The bundle must be able to hold it.</remarks>
    public PlacementGroup? PlacementGroup { get; set; }

    /// <summary>The bundle of <see cref="PlacementGroup"/> to run in: 0 to BundleCount - 1, or -1 (the default) for any bundle.</summary>
    public int BundleIndex { get; set; } = -1;

    /// <summary>Ray's <c>placement_group_capture_child_tasks</c>: the tasks this task submits and the actors it creates
    /// run in <see cref="PlacementGroup"/> too (any bundle), and capture their own children in turn, unless they name a
    /// group or a <see cref="SchedulingStrategy"/> of their own. Default: false: the children of work that names its group
    /// are placed as if the driver submitted them, while work that was itself captured captures its children whatever
    /// this says (as in Ray: only a <see cref="SchedulingStrategy"/> of their own takes them out). Needs
    /// <see cref="PlacementGroup"/>.</summary>
    /// <remarks>A captured child takes its resources from a bundle, so a group whose bundles its members already fill
    /// leaves their children waiting until one frees, as in Ray; a child that no bundle could ever hold is refused with
    /// <see cref="ArgumentException"/> when it is submitted. Code in the group reads it from
    /// <see cref="RayContext.PlacementGroup"/>.</remarks>
    public bool PlacementGroupCaptureChildTasks { get; set; }

    /// <summary>For a streaming generator task (a function returning <see cref="IAsyncEnumerable{T}"/>): how many items it
    /// may produce that the consumer has not yet consumed before it waits (asynchronously, holding its worker) for the
    /// consumer (Ray's <c>_generator_backpressure_num_objects</c>). -1 (the default): no bound. Ignored by other tasks.</summary>
    public int GeneratorBackpressureNumObjects { get; set; } = -1;

    /// <summary>What the task asks for and where it goes (see <see cref="ResourceShape.Place"/>). Call after
    /// <see cref="Validate"/>.</summary>
    internal (ResourceSet Resources, PlacementHint Placement) ToPlacement() => ResourceShape.Place(
        ResourceShape.Build(NumCpus, NumGpus, Memory, Resources, nameof(TaskOptions)), PlacementGroup, BundleIndex, PlacementGroupCaptureChildTasks, _schedulingStrategy, nameof(TaskOptions));

    internal void Validate()
    {
        ResourceShape.CheckGroupOptions(PlacementGroup, BundleIndex, PlacementGroupCaptureChildTasks, _schedulingStrategy, nameof(TaskOptions));
        if (MaxRetries < -1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRetries), MaxRetries, "TaskOptions.MaxRetries must be >= 0 (or -1 for unlimited).");
        }

        CheckRetryExceptionTypes();
        if (EnvVarsIfAny is { } envVars)
        {
            RuntimeEnv.CheckEnvVars(envVars, "TaskOptions.EnvVars", nameof(EnvVars));
        }
        if (GeneratorBackpressureNumObjects is 0 or < -1)
        {
            throw new ArgumentOutOfRangeException(nameof(GeneratorBackpressureNumObjects), GeneratorBackpressureNumObjects, "TaskOptions.GeneratorBackpressureNumObjects must be >= 1 (or -1 for no bound).");
        }
    }

    /// <summary>What the node is told of which exceptions to retry: null (none, the common case) unless
    /// <see cref="RetryExceptions"/> or <see cref="RetryExceptionTypes"/> says otherwise. Call after <see cref="Validate"/>.</summary>
    internal Scheduling.ExceptionRetry? ToExceptionRetry()
    {
        if (RetryExceptionTypes.Count == 0)
        {
            return RetryExceptions ? Scheduling.ExceptionRetry.All : null;
        }

        var names = new List<string>(RetryExceptionTypes.Count);
        foreach (var type in RetryExceptionTypes)
        {
            var name = type.FullName ?? type.Name;
            if (!names.Contains(name))
            {
                names.Add(name);
            }
        }

        return Scheduling.ExceptionRetry.Of(all: false, [.. names]);
    }

    private void CheckRetryExceptionTypes()
    {
        if (RetryExceptionTypes.Count == 0)
        {
            return;
        }

        if (RetryExceptions)
        {
            throw new ArgumentException(
                "TaskOptions.RetryExceptions = true retries every exception, and RetryExceptionTypes only the listed types: give one of them " +
                "(RetryExceptions = true alone to retry any exception, or RetryExceptionTypes alone to retry only those).",
                nameof(RetryExceptionTypes));
        }

        foreach (var type in RetryExceptionTypes)
        {
            if (type is null)
            {
                throw new ArgumentException("TaskOptions.RetryExceptionTypes holds null: list exception types, e.g. typeof(TimeoutException).", nameof(RetryExceptionTypes));
            }

            if (!typeof(Exception).IsAssignableFrom(type))
            {
                throw new ArgumentException(
                    $"TaskOptions.RetryExceptionTypes holds {type.FullName ?? type.Name}, which is not an exception type: each must be System.Exception or derive from it.",
                    nameof(RetryExceptionTypes));
            }

            if (type.ContainsGenericParameters)
            {
                throw new ArgumentException(
                    $"TaskOptions.RetryExceptionTypes holds the open generic type {type.FullName ?? type.Name}: an exception is thrown as a closed type; list that one (e.g. typeof(MyException<int>)).",
                    nameof(RetryExceptionTypes));
            }
        }
    }
}
