using System.Reflection;

namespace OrleansRay;

/// <summary>What a connected driver's job brings to the cluster (Ray's <c>runtime_env</c>): its code, which travels
/// with the job, environment variables for its tasks and actors, and a working dir whose files reach every node that
/// runs them.</summary>
/// <remarks>
/// <para>Code: when a driver connects (<see cref="RayOptions.Address"/>), its entry assembly and the assemblies it
/// references that are not part of .NET, Orleans or OrleansRay become the job's code package. Each file is uploaded once
/// per cluster by its SHA-256 (a cluster that has it already takes no upload); a node fetches the package the first time
/// it runs something of the job, loads it into a collectible load context of that job, and unloads it when the job ends.
/// Two jobs with different builds of one assembly run side by side, each on its own build.</para>
/// <para>Environment variables: nodes run many jobs' tasks in one process, so a job's variables are not the process's;
/// job code reads them with <see cref="RayContext.GetEnvironmentVariable"/> (the job's value, else the process's),
/// and <see cref="RayContext.EnvVars"/>. That is the one deliberate difference from Ray, which starts worker processes
/// per job (ADR 0008). A task or actor sets its own over them (<see cref="TaskOptions.EnvVars"/>,
/// <see cref="ActorOptions.EnvVars"/>), which the work it submits inherits.</para>
/// <para>Working dir: <see cref="WorkingDir"/>'s files travel with the code package, and each node unpacks them into a
/// folder of its own the first time it runs something of the job; job code finds it as
/// <see cref="RayContext.WorkingDirectory"/>, not as the process's current directory (ADR 0031).</para>
/// </remarks>
public sealed class RuntimeEnv
{
    /// <summary>The default <see cref="MaxCodeBytes"/>: 64 MiB.</summary>
    public const long DefaultMaxCodeBytes = 64L << 20;

    /// <summary>The default <see cref="MaxWorkingDirBytes"/>: 100 MiB, as <c>orleansray job submit</c>'s default
    /// <c>--max-upload</c>.</summary>
    public const long DefaultMaxWorkingDirBytes = 100L << 20;

    /// <summary>The environment variable <c>orleansray job submit</c> sets for its driver: the folder that is its
    /// <see cref="WorkingDir"/> unless the driver sets one.</summary>
    internal const string JobWorkingDirVariable = "ORLEANSRAY_JOB_WORKING_DIR";

    /// <summary>Environment variables of the job's tasks and actors (Ray's <c>env_vars</c>). Default: none.</summary>
    public Dictionary<string, string> EnvVars { get; } = new(StringComparer.Ordinal);

    /// <summary>Ship the driver's code with its job. Default: true. Turn it off only when every node already loads the
    /// driver's assemblies (<c>orleansray start --load</c>); a job's values then travel in the node's serializer.</summary>
    public bool ShipCode { get; set; } = true;

    /// <summary>More assemblies to ship with the job besides the entry assembly's closure (e.g. a plugin loaded by
    /// path, or the test assembly of a test host). Default: none.</summary>
    public List<Assembly> Assemblies { get; } = [];

    /// <summary>A folder of the driver's machine whose files every node running the job's tasks and actors gets (Ray's
    /// <c>runtime_env={"working_dir": "."}</c>); relative to the current directory. Default: null, none; a driver started
    /// by <c>orleansray job submit</c> takes the job's working dir (<c>ORLEANSRAY_JOB_WORKING_DIR</c>: the head's copy of
    /// the uploaded folder, or the <c>--working-dir</c> of a job run on the submitting machine), and a value set here wins.</summary>
    /// <remarks>
    /// <para>At connect the folder's files, except the folders <c>bin/</c>, <c>obj/</c> and <c>.git/</c> at any depth
    /// and symbolic links (as <c>job submit</c> packs it), are hashed and travel with the job's code package, each file
    /// uploaded once per cluster by its SHA-256: connecting again with unchanged files uploads nothing. A node unpacks
    /// them the first time it runs something of the job, into a folder of its own that jobs with the same files share,
    /// keeping Unix file modes, and removes it when it unloads the job's code (the job ended) or stops.</para>
    /// <para>Job code reads the files at <see cref="RayContext.WorkingDirectory"/>:
    /// <c>Path.Combine(RayContext.WorkingDirectory!, "data.csv")</c>. Unlike Ray, the process's current directory is not
    /// the working dir: a node runs many jobs in one process. Treat the folder as read-only (jobs with the same files
    /// share it). An embedded driver (no <see cref="RayOptions.Address"/>) uploads nothing: it and its tasks see the folder
    /// itself. A connected driver with <see cref="ShipCode"/> off cannot have one (its tasks have no package to carry it).</para>
    /// </remarks>
    public string? WorkingDir { get; set; }

    /// <summary>The most bytes the files of <see cref="WorkingDir"/> may hold; a larger folder is refused at connect
    /// with its size and this limit, before anything is uploaded. Default: <see cref="DefaultMaxWorkingDirBytes"/>
    /// (100 MiB). A limit of its own, not <see cref="MaxCodeBytes"/>: data files are not code, and a folder
    /// <c>job submit</c> uploaded within its 100 MiB must fit here too. One file may be at most 64 MiB (one grain message).</summary>
    public long MaxWorkingDirBytes { get; set; } = DefaultMaxWorkingDirBytes;

    /// <summary>The most bytes of code a job ships; a larger package is refused at connect with its size and this limit.
    /// Default: <see cref="DefaultMaxCodeBytes"/>. One file may be at most 64 MiB (one grain message).</summary>
    public long MaxCodeBytes { get; set; } = DefaultMaxCodeBytes;

    /// <summary>A copy of <see cref="EnvVars"/> that later changes to it do not reach, or null when it holds none: the job's
    /// variables as a driver without a code package hands them to its work.</summary>
    internal IReadOnlyDictionary<string, string>? CopyEnvVars() => EnvVars.Count == 0 ? null : new Dictionary<string, string>(EnvVars, StringComparer.Ordinal);

    /// <summary>Throws <see cref="ArgumentException"/> naming <paramref name="option"/> when a variable of
    /// <paramref name="envVars"/> has an empty name, a name with '=', or a null value.</summary>
    internal static void CheckEnvVars(IReadOnlyDictionary<string, string> envVars, string option, string paramName)
    {
        foreach (var (name, value) in envVars)
        {
            if (string.IsNullOrEmpty(name) || name.Contains('=', StringComparison.Ordinal) || value is null)
            {
                throw new ArgumentException($"{option}[\"{name}\"]: a variable needs a name without '=' and a value (empty is fine).", paramName);
            }
        }
    }
}
