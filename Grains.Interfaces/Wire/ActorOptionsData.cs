namespace OrleansRay;

/// <summary>The actor options a host needs, in wire form.</summary>
[GenerateSerializer, Immutable, Alias("orleansray.actoroptions")]
public sealed record ActorOptionsData
{
    [Id(0)] public string Name { get; init; } = string.Empty;
    [Id(1)] public string Namespace { get; init; } = "default";
    [Id(2)] public bool Detached { get; init; }
    [Id(3)] public ResourceSet Resources { get; init; } = ResourceSet.Empty;
    [Id(4)] public int MaxRestarts { get; init; }
    [Id(5)] public int MaxTaskRetries { get; init; }
    [Id(6)] public int MaxConcurrency { get; init; } = 1;
    /// <summary>Where the actor should live (Ray's scheduling strategy).</summary>
    [Id(7)] public PlacementHint Placement { get; init; } = PlacementHint.Default;
    /// <summary>An async actor: its calls interleave at awaits on one exclusive context per concurrency group.</summary>
    [Id(8)] public bool IsAsync { get; init; }
    /// <summary>Its concurrency groups (name to limit), or null for none; <see cref="MaxConcurrency"/> limits the default group.</summary>
    [Id(9)] public Dictionary<string, int>? ConcurrencyGroups { get; init; }
    /// <summary>The environment variables its runtime env sets over its job's (Ray's actor-level <c>env_vars</c>, merged
    /// with those its creator had), seen by its constructor and methods and inherited by the work they submit; null for
    /// none.</summary>
    [Id(10)] public Dictionary<string, string>? EnvVars { get; init; }
}
