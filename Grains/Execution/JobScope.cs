namespace OrleansRay.Execution;

/// <summary>The job a task, an actor call or an actor belongs to (by its driver's worker id; Ray's job id), the
/// namespace its code runs in (Ray's job namespace) and the environment variables its own runtime env sets (Ray's
/// task- and actor-level <c>runtime_env={"env_vars": ...}</c>, inherited by the work it submits): one shared object per
/// job, namespace and variables, carried by every spec and context, where the three as fields cost each task 32 bytes.</summary>
/// <remarks>Immutable; <see cref="For"/> hands out a recent equal scope when there is one, so a node running one or a
/// few jobs makes almost none.</remarks>
internal sealed class JobScope
{
    /// <summary>No job's work (a detached actor's, which outlives its job) in the node's default namespace.</summary>
    public static readonly JobScope None = new(default, null, null);

    /// <summary>The last scopes handed out (a few jobs at once on one node share them without a lookup table).</summary>
    private static readonly JobScope?[] Recent = new JobScope?[4];
    private static int _next;

    private JobScope(WorkerId driver, string? @namespace, IReadOnlyDictionary<string, string>? envVars)
    {
        Driver = driver;
        Namespace = @namespace;
        EnvVars = envVars;
    }

    /// <summary>The job's driver's worker id; empty for no job's work.</summary>
    public WorkerId Driver { get; }

    /// <summary>The job's namespace; null for the node's default.</summary>
    public string? Namespace { get; }

    /// <summary>The variables the work's runtime env sets over those its job's code package carries (Ray's task- and
    /// actor-level <c>env_vars</c>, merged with those of the work that submitted it; for the work of a driver that ships
    /// no package, an embedded one or a connected one with <c>ShipCode</c> off, the job's own variables too); null when
    /// there are none (almost all work). Never empty, never changed once the scope is made.</summary>
    public IReadOnlyDictionary<string, string>? EnvVars { get; }

    /// <summary>The scope of <paramref name="driver"/>'s job in <paramref name="namespace"/> with the runtime env's
    /// <paramref name="envVars"/> (null or empty: none). Without variables: a recent equal scope, or a new one (which
    /// becomes recent). With them: the scope made before for this same dictionary (an actor's calls pass its options'
    /// dictionary every time), else a new one; such scopes never enter the recent ones, so work with variables of its
    /// own (a RANK per task) does not push out the plain scopes every other task shares. The variables must not change
    /// afterwards. Safe from any thread.</summary>
    public static JobScope For(WorkerId driver, string? @namespace, IReadOnlyDictionary<string, string>? envVars = null)
    {
        if (envVars is { Count: > 0 })
        {
            if (WithVariables.TryGetValue(envVars, out var known) && known.Driver == driver && string.Equals(known.Namespace, @namespace, StringComparison.Ordinal))
            {
                return known;
            }

            var scoped = new JobScope(driver, @namespace, envVars);
            WithVariables.AddOrUpdate(envVars, scoped);
            return scoped;
        }

        if (driver == default && @namespace is null)
        {
            return None;
        }

        foreach (var recent in Recent)
        {
            if (recent is not null && recent.Driver == driver && string.Equals(recent.Namespace, @namespace, StringComparison.Ordinal))
            {
                return recent;
            }
        }

        var scope = new JobScope(driver, @namespace, null);
        Volatile.Write(ref Recent[(Interlocked.Increment(ref _next) & int.MaxValue) % Recent.Length], scope);
        return scope;
    }

    /// <summary>Scopes with variables, by their dictionary (held weakly: a scope goes with the last work holding it).</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IReadOnlyDictionary<string, string>, JobScope> WithVariables = new();

    /// <summary>The scope of a task or actor submitted now in <paramref name="namespace"/>: the job of the work running
    /// on this flow (<see cref="TaskContext.CurrentJob"/>), else <paramref name="driver"/>'s, and the runtime env
    /// variables that work has, else <paramref name="driverEnvVars"/>, with <paramref name="envVars"/> set over them, as
    /// Ray's children inherit their parent's runtime env and merge their own <c>env_vars</c> into it.</summary>
    public static JobScope ForNewWork(WorkerId driver, IReadOnlyDictionary<string, string>? driverEnvVars, string? @namespace, IReadOnlyDictionary<string, string>? envVars)
    {
        var running = TaskContext.CurrentJob;
        return For(running?.Driver ?? driver, @namespace, Merge(running is null ? driverEnvVars : running.EnvVars, envVars));
    }

    /// <summary>The runtime env variables of an actor created now with <paramref name="envVars"/> of its own, merged as
    /// <see cref="ForNewWork"/> merges them; null for none.</summary>
    public static IReadOnlyDictionary<string, string>? EnvVarsForNewWork(IReadOnlyDictionary<string, string>? driverEnvVars, IReadOnlyDictionary<string, string>? envVars) =>
        Merge(TaskContext.CurrentJob is { } running ? running.EnvVars : driverEnvVars, envVars);

    /// <summary><paramref name="inherited"/> with <paramref name="own"/> set over them (Ray merges a task's or actor's
    /// <c>env_vars</c> into those it inherits, its own winning): <paramref name="inherited"/> when
    /// <paramref name="own"/> is null or empty, else a new dictionary (null when both are empty).</summary>
    public static IReadOnlyDictionary<string, string>? Merge(IReadOnlyDictionary<string, string>? inherited, IReadOnlyDictionary<string, string>? own)
    {
        if (own is not { Count: > 0 })
        {
            return inherited is { Count: > 0 } ? inherited : null;
        }

        var merged = inherited is null ? new Dictionary<string, string>(StringComparer.Ordinal) : new Dictionary<string, string>(inherited, StringComparer.Ordinal);
        foreach (var (name, value) in own)
        {
            merged[name] = value;
        }

        return merged;
    }

    /// <summary><paramref name="envVars"/> as they travel in a message (a <see cref="Dictionary{TKey, TValue}"/>, as
    /// every scope's are made); null for none.</summary>
    public static Dictionary<string, string>? ForWire(IReadOnlyDictionary<string, string>? envVars) =>
        envVars as Dictionary<string, string> ?? (envVars is null ? null : new Dictionary<string, string>(envVars, StringComparer.Ordinal));
}
