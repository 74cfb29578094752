namespace OrleansRay.Train;

/// <summary>How many training workers to run and what each holds (Ray Train's <c>ScalingConfig</c>).</summary>
/// <remarks>The trainer reserves one placement-group bundle per worker (<see cref="ResourcesPerWorker"/>, plus one GPU
/// when <see cref="UseGpu"/>) with <see cref="PlacementStrategy"/>, and starts exactly one worker actor in each bundle.
/// The coordinator actor (Ray's controller) holds no CPU and is not part of the group.</remarks>
public sealed class ScalingConfig
{
    /// <summary>Number of worker actors, one per rank (Ray's <c>num_workers</c>). Must be at least 1. Default: 1.</summary>
    public int NumWorkers { get; set; } = 1;

    /// <summary>Resources each worker holds while it lives, by resource name ("CPU", "GPU", custom); Ray's
    /// <c>resources_per_worker</c>. Default: empty, which means one CPU per worker, as in Ray.</summary>
    public Dictionary<string, double> ResourcesPerWorker { get; } = new(StringComparer.Ordinal);

    /// <summary>Whether each worker holds one GPU (Ray's <c>use_gpu</c>); adds <c>"GPU" = 1</c> to a bundle that does not
    /// name a GPU amount in <see cref="ResourcesPerWorker"/>. Default: false.</summary>
    public bool UseGpu { get; set; }

    /// <summary>How the workers' bundles are laid out over the nodes (Ray's <c>placement_strategy</c>).
    /// Default: <see cref="OrleansRay.PlacementStrategy.Pack"/>, as in Ray.</summary>
    public PlacementStrategy PlacementStrategy { get; set; } = PlacementStrategy.Pack;

    /// <summary>The resources of one worker's bundle: <see cref="ResourcesPerWorker"/>, "CPU" = 1 when it names no
    /// resource, "GPU" = 1 when <see cref="UseGpu"/> and it names no GPU.</summary>
    public IReadOnlyDictionary<string, double> WorkerBundle()
    {
        var bundle = new Dictionary<string, double>(ResourcesPerWorker, StringComparer.Ordinal);
        if (bundle.Count == 0)
        {
            bundle["CPU"] = 1;
        }

        if (UseGpu && !bundle.ContainsKey("GPU"))
        {
            bundle["GPU"] = 1;
        }

        return bundle;
    }

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">NumWorkers is below 1, or a resource amount is negative, not finite, or every
    /// amount is 0 (a bundle must reserve something).</exception>
    internal void Validate()
    {
        if (NumWorkers < 1)
        {
            throw new ArgumentException($"ScalingConfig.NumWorkers is {NumWorkers}; a training run needs at least 1 worker.", "scalingConfig");
        }

        foreach (var (name, amount) in ResourcesPerWorker)
        {
            if (string.IsNullOrWhiteSpace(name) || amount < 0 || !double.IsFinite(amount))
            {
                throw new ArgumentException($"ScalingConfig.ResourcesPerWorker[\"{name}\"] = {amount}: resource names must be non-empty and amounts finite and >= 0.", "scalingConfig");
            }
        }

        if (ResourcesPerWorker.Count > 0 && ResourcesPerWorker.Values.All(v => v == 0) && !UseGpu)
        {
            throw new ArgumentException("ScalingConfig.ResourcesPerWorker asks for 0 of everything; give each worker at least one resource (e.g. \"CPU\" = 1).", "scalingConfig");
        }
    }
}
