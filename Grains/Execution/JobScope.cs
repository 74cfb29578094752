namespace OrleansRay.Execution;

/// <summary>The job a task, an actor call or an actor belongs to (by its driver's worker id; Ray's job id) and the
/// namespace its code runs in (Ray's job namespace): one shared object per job and namespace, carried by every spec and
/// context, where both as fields cost each task 24 bytes.</summary>
/// <remarks>Immutable; <see cref="For"/> hands out a recent equal scope when there is one, so a node running one or a
/// few jobs makes almost none.</remarks>
internal sealed class JobScope
{
    /// <summary>No job's work (a detached actor's, which outlives its job) in the node's default namespace.</summary>
    public static readonly JobScope None = new(default, null);

    /// <summary>The last scopes handed out (a few jobs at once on one node share them without a lookup table).</summary>
    private static readonly JobScope?[] Recent = new JobScope?[4];
    private static int _next;

    private JobScope(WorkerId driver, string? @namespace)
    {
        Driver = driver;
        Namespace = @namespace;
    }

    /// <summary>The job's driver's worker id; empty for no job's work.</summary>
    public WorkerId Driver { get; }

    /// <summary>The job's namespace; null for the node's default.</summary>
    public string? Namespace { get; }

    /// <summary>The scope of <paramref name="driver"/>'s job in <paramref name="namespace"/>: a recent equal one, or a
    /// new one (which becomes recent). Safe from any thread.</summary>
    public static JobScope For(WorkerId driver, string? @namespace)
    {
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

        var scope = new JobScope(driver, @namespace);
        Volatile.Write(ref Recent[(Interlocked.Increment(ref _next) & int.MaxValue) % Recent.Length], scope);
        return scope;
    }
}
