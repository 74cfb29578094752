namespace OrleansRay;

/// <summary>The options a <see cref="RayQueue{T}"/>'s actor is created with: the caller's, with the concurrency the
/// queue needs.</summary>
internal static class QueueActorOptions
{
    /// <summary>A copy of <paramref name="options"/> (or the defaults) whose MaxConcurrency is at least
    /// <paramref name="concurrency"/>; the caller's object is left as it was.</summary>
    public static ActorOptions From(ActorOptions? options, int concurrency)
    {
        var copy = new ActorOptions { MaxConcurrency = concurrency };
        if (options is null)
        {
            return copy;
        }

        copy.Name = options.Name;
        copy.Namespace = options.Namespace;
        copy.Lifetime = options.Lifetime;
        copy.NumCpus = options.NumCpus;
        copy.NumGpus = options.NumGpus;
        copy.Memory = options.Memory;
        foreach (var (resource, amount) in options.Resources)
        {
            copy.Resources[resource] = amount;
        }

        foreach (var (group, limit) in options.ConcurrencyGroups)
        {
            copy.ConcurrencyGroups[group] = limit;
        }

        copy.MaxRestarts = options.MaxRestarts;
        copy.MaxTaskRetries = options.MaxTaskRetries;
        copy.MaxConcurrency = Math.Max(options.MaxConcurrency ?? 1, concurrency);
        copy.SchedulingStrategy = options.SchedulingStrategy;
        copy.PlacementGroup = options.PlacementGroup;
        copy.BundleIndex = options.BundleIndex;
        return copy;
    }
}
