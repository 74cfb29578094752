using OrleansRay.Code;
using OrleansRay.Node;
using OrleansRay.Execution;

namespace OrleansRay;

/// <summary>What code inside a task or actor method can learn about its invocation.</summary>
public static class RayContext
{
    /// <summary>True inside a task or actor method.</summary>
    public static bool IsInTask => TaskContext.IsSet;

    /// <summary>Signalled when the running task is cancelled with <see cref="IRay.CancelAsync"/>; a long task should
    /// check it. <see cref="CancellationToken.None"/> outside tasks.</summary>
    public static CancellationToken CancellationToken => TaskContext.Current?.CancellationToken ?? CancellationToken.None;

    /// <summary>"Type.Method" of the running task or actor method, or null outside one.</summary>
    public static string? FunctionName => TaskContext.Current?.FunctionName;

    /// <summary>The node running the current task or actor method; in a driver, the node of <see cref="Ray.Current"/>
    /// (a connected driver has a node id of its own, "driver:..."). Default when neither applies.</summary>
    public static NodeId NodeId => NodeRuntime.Current?.NodeId ?? default;

    /// <summary>The running job's environment variables (Ray's <c>runtime_env.env_vars</c>, from
    /// <see cref="RayOptions.RuntimeEnv"/> of the driver that started the job): inside a task or actor method of a
    /// connected driver's job, and in that driver. Empty elsewhere.</summary>
    /// <remarks>Nodes run many jobs' code in one process, so these are not in <see cref="Environment"/>; read them here
    /// or with <see cref="GetEnvironmentVariable"/>.</remarks>
    public static IReadOnlyDictionary<string, string> EnvVars =>
        CodeScope.Current?.EnvVars ?? NodeRuntime.Current?.Copier.DriverCode?.EnvVars ?? Empty;

    /// <summary>The folder holding the running job's working dir (Ray's <c>runtime_env.working_dir</c>, from
    /// <see cref="RuntimeEnv.WorkingDir"/> of the driver that started the job), full path: inside a task or actor method
    /// of a connected driver's job, the node's own copy of it, unpacked the first time the node ran something of the job;
    /// in that driver, and in an embedded node's tasks, the driver's folder itself. Null when the job has none (or
    /// outside any job).</summary>
    /// <remarks>Ray makes the working dir the worker's current directory. Nodes here run many jobs' code in one process,
    /// so the process's current directory stays the node's: open a job's file as
    /// <c>Path.Combine(RayContext.WorkingDirectory!, "data.csv")</c>, not by a relative path. Jobs with the same files
    /// share a node's copy: treat it as read-only.</remarks>
    public static string? WorkingDirectory =>
        CodeScope.Current is { } job ? job.WorkingDirectory : (NodeRuntime.Current ?? Ray.CurrentDriverRuntime)?.Options.DriverWorkingDirectory;

    /// <summary>The job's value of environment variable <paramref name="name"/> (<see cref="EnvVars"/>), else the
    /// process's (<see cref="Environment.GetEnvironmentVariable(string)"/>), else null.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    public static string? GetEnvironmentVariable(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return EnvVars.TryGetValue(name, out var value) ? value : Environment.GetEnvironmentVariable(name);
    }

    private static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>();
}
