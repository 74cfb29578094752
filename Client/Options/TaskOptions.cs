namespace OrleansRay;

/// <summary>Per-call options of a task.</summary>
public sealed class TaskOptions
{
    /// <summary>CPUs the task holds while it runs. Default: 1.</summary>
    public double NumCpus { get; set; } = 1;

    /// <summary>GPUs the task holds while it runs. Default: 0.</summary>
    public double NumGpus { get; set; }

    /// <summary>Bytes of "memory" resource the task holds. Default: 0.</summary>
    public long Memory { get; set; }

    /// <summary>Custom resources the task holds, e.g. <c>["accel"] = 1</c>. Default: none.</summary>
    public Dictionary<string, double> Resources { get; } = new(StringComparer.Ordinal);

    /// <summary>Re-runs when the node running it dies (and, with <see cref="RetryExceptions"/>, when it throws). Default: 3.</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>Retry when the function throws. Default: false.</summary>
    public bool RetryExceptions { get; set; }

    /// <summary>A name shown in errors and the dashboard. Default: the function's name.</summary>
    public string? Name { get; set; }

    /// <summary>Where the task may run. Default: <see cref="SchedulingStrategy.Default"/>.</summary>
    public SchedulingStrategy SchedulingStrategy { get; set; } = SchedulingStrategy.Default;

    /// <summary>The placement group whose reserved resources the task runs in. Default: none.</summary>
    /// <remarks>The task asks for its resources (NumCpus, ...) from the bundle instead of the node's free pool, so it runs
    /// on the node holding that bundle, and waits while the group is pending. The bundle must be able to hold it.</remarks>
    public PlacementGroup? PlacementGroup { get; set; }

    /// <summary>The bundle of <see cref="PlacementGroup"/> to run in: 0 to BundleCount - 1, or -1 (the default) for any bundle.</summary>
    public int BundleIndex { get; set; } = -1;

    /// <summary>For a streaming generator task (a function returning <see cref="IAsyncEnumerable{T}"/>): how many items it
    /// may produce that the consumer has not yet consumed before it waits (asynchronously, holding its worker) for the
    /// consumer (Ray's <c>_generator_backpressure_num_objects</c>). -1 (the default): no bound. Ignored by other tasks.</summary>
    public int GeneratorBackpressureNumObjects { get; set; } = -1;

    internal PlacementHint ToPlacementHint() => PlacementGroup is { } group
        ? group.ToHint(BundleIndex, ResourceShape.Build(NumCpus, NumGpus, Memory, Resources, nameof(TaskOptions)).IsEmpty)
        : (SchedulingStrategy ?? SchedulingStrategy.Default).ToHint();

    internal ResourceSet ToResourceSet() =>
        ResourceShape.InGroup(ResourceShape.Build(NumCpus, NumGpus, Memory, Resources, nameof(TaskOptions)), PlacementGroup, BundleIndex, nameof(TaskOptions));

    internal void Validate()
    {
        ResourceShape.CheckGroupOptions(PlacementGroup, BundleIndex, SchedulingStrategy, nameof(TaskOptions));
        if (MaxRetries < -1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRetries), MaxRetries, "TaskOptions.MaxRetries must be >= 0 (or -1 for unlimited).");
        }

        if (GeneratorBackpressureNumObjects is 0 or < -1)
        {
            throw new ArgumentOutOfRangeException(nameof(GeneratorBackpressureNumObjects), GeneratorBackpressureNumObjects, "TaskOptions.GeneratorBackpressureNumObjects must be >= 1 (or -1 for no bound).");
        }
    }
}
