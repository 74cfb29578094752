using System.Reflection;

namespace OrleansRay;

/// <summary>What a connected driver's job brings to the cluster (Ray's <c>runtime_env</c>): its code, which travels
/// with the job, and environment variables for its tasks and actors.</summary>
/// <remarks>
/// <para>Code: when a driver connects (<see cref="RayOptions.Address"/>), its entry assembly and the assemblies it
/// references that are not part of .NET, Orleans or OrleansRay become the job's code package. Each file is uploaded once
/// per cluster by its SHA-256 (a cluster that has it already takes no upload); a node fetches the package the first time
/// it runs something of the job, loads it into a collectible load context of that job, and unloads it when the job ends.
/// Two jobs with different builds of one assembly run side by side, each on its own build.</para>
/// <para>Environment variables: nodes run many jobs' tasks in one process, so a job's variables are not the process's;
/// job code reads them with <see cref="RayContext.GetEnvironmentVariable"/> (the job's value, else the process's),
/// and <see cref="RayContext.EnvVars"/>. That is the one deliberate difference from Ray, which starts worker processes
/// per job (ADR 0008).</para>
/// </remarks>
public sealed class RuntimeEnv
{
    /// <summary>The default <see cref="MaxCodeBytes"/>: 64 MiB.</summary>
    public const long DefaultMaxCodeBytes = 64L << 20;

    /// <summary>Environment variables of the job's tasks and actors (Ray's <c>env_vars</c>). Default: none.</summary>
    public Dictionary<string, string> EnvVars { get; } = new(StringComparer.Ordinal);

    /// <summary>Ship the driver's code with its job. Default: true. Turn it off only when every node already loads the
    /// driver's assemblies (<c>orleansray start --load</c>); a job's values then travel in the node's serializer.</summary>
    public bool ShipCode { get; set; } = true;

    /// <summary>More assemblies to ship with the job besides the entry assembly's closure (e.g. a plugin loaded by
    /// path, or the test assembly of a test host). Default: none.</summary>
    public List<Assembly> Assemblies { get; } = [];

    /// <summary>The most bytes of code a job ships; a larger package is refused at connect with its size and this limit.
    /// Default: <see cref="DefaultMaxCodeBytes"/>. One file may be at most 64 MiB (one grain message).</summary>
    public long MaxCodeBytes { get; set; } = DefaultMaxCodeBytes;
}
