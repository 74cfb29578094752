namespace OrleansRay;

/// <summary>The OrleansRay node that <c>UseOrleansRay</c> adds to an Orleans silo: the resources it offers to tasks and
/// actors (Ray's <c>ray start --num-cpus ... --resources ...</c>) and its object store. Bound through
/// <c>IOptions&lt;RayNodeOptions&gt;</c> and checked when the host starts.</summary>
/// <remarks>The silo's own settings (clustering, ports, grain storage) stay the application's: OrleansRay joins the
/// Orleans cluster the silo is in, and every silo of it that calls <c>UseOrleansRay</c> is a node of the OrleansRay cluster.
/// The same settings for an embedded node are on <see cref="RayOptions"/>.</remarks>
public sealed class RayNodeOptions
{
    /// <summary>CPUs the node offers ("CPU" resource; fractions allowed). Default: null = <see cref="Environment.ProcessorCount"/>.
    /// The node also starts this many worker threads (at least one) up front.</summary>
    public double? NumCpus { get; set; }

    /// <summary>GPUs the node offers ("GPU" resource). Default: 0.</summary>
    public double NumGpus { get; set; }

    /// <summary>Custom resources of the node, e.g. <c>["accel"] = 2</c>. Default: none. "CPU", "GPU", "memory" and
    /// "object_store_memory" are set with their own options, not here.</summary>
    public Dictionary<string, double> Resources { get; } = new(StringComparer.Ordinal);

    /// <summary>Bytes of memory the node offers to tasks and actors ("memory" resource). Default: null = 70% of the
    /// machine's physical memory (as Ray).</summary>
    public long? Memory { get; set; }

    /// <summary>Bytes of shared memory for the node's object store, which runs inside this process: 0 (no store: every
    /// value stays inline in the managed heap) or at least <see cref="RayOptions.MinObjectStoreMemory"/> (32 MiB).
    /// Default: null = 30% of physical memory, capped at 200 GiB (as Ray). Memory is taken as objects arrive, not at start.</summary>
    public long? ObjectStoreMemory { get; set; }

    /// <summary>Namespace of named actors for the application's <see cref="IRay"/> and for code running in this node's
    /// tasks and actors. Default: "default".</summary>
    public string Namespace { get; set; } = "default";

    /// <summary>Values up to this many bytes travel inline; larger ones go to the object store. Default: 100 KiB.</summary>
    public int InlineThreshold { get; set; } = 100 * 1024;

    /// <summary>Bytes of jobs' shipped code (assemblies, working-dir files and manifests) that the node keeps on disk, in its code cache,
    /// after no running job or live actor uses it, so a job run again soon starts without fetching its code again.
    /// Beyond it the least recently used unused package is removed (it is fetched from the head again when a job needs
    /// it); code in use is never removed, whatever its size. 0: nothing is kept once unused. Default: 1 GiB
    /// (1073741824 bytes; Ray's <c>RAY_RUNTIME_ENV_WORKING_DIR_CACHE_SIZE_GB</c>).</summary>
    public long CodeCacheBytes { get; set; } = 1L << 30;

    /// <summary>The folder of the node's code cache; null (the default): <c>orleansray/code</c> in the user's local
    /// data folder, shared by the nodes of one machine. Tests give each cluster its own.</summary>
    internal string? CodeCacheDirectory { get; set; }

    /// <summary>The folder the node unpacks jobs' working dirs in (<see cref="RuntimeEnv.WorkingDir"/>), its own; null
    /// (the default): a new folder under <c>orleansray/working_dirs</c> in the user's local data folder. An
    /// <c>orleansray start</c> node's is <c>runtime_resources/working_dirs</c> in its session folder. Removed when the
    /// node stops.</summary>
    internal string? WorkingDirsDirectory { get; set; }

    /// <summary>An embedded node's driver's working dir (full path), which its tasks see as
    /// <see cref="RayContext.WorkingDirectory"/>: they run in the driver's process. Null elsewhere.</summary>
    internal string? DriverWorkingDirectory { get; set; }

    /// <summary>An embedded node's driver's <see cref="RuntimeEnv.EnvVars"/>, which its tasks and actors inherit. Null
    /// elsewhere.</summary>
    internal IReadOnlyDictionary<string, string>? DriverEnvVars { get; set; }

    /// <summary>This node is its cluster's head: <c>orleansray start --head</c> and an embedded node set it; a silo an
    /// application hosts does not (its head is where the control store lives).</summary>
    internal bool StartedAsHead { get; set; }

    /// <summary>On the head: how long a job's shipped code (its code package) stays in the control store after no running
    /// job and no live detached actor references it, and how long a driver's reference lasts at least after it uploaded
    /// (Ray's temporary reference). Then its files are deleted, except those a referenced package also names. Default:
    /// 10 minutes (Ray's <c>RAY_RUNTIME_ENV_TEMPORARY_REFERENCE_EXPIRATION_S</c>, 600 s). Tests set it short.</summary>
    internal TimeSpan CodePackageGrace { get; set; } = Grains.ICodePackageReferencesGrain.DefaultGrace;

    /// <summary>False when the host runs the node's object store itself (<c>orleansray start</c>: a separate process), so
    /// <c>UseOrleansRay</c> starts none; <see cref="ObjectStoreMemory"/> is then only the capacity the node reports.</summary>
    internal bool ObjectStoreInProcess { get; set; } = true;

    /// <summary>With <see cref="ObjectStoreInProcess"/> false: the store process the host started (its Unix socket and
    /// its peer-transfer endpoint "address:port"), which the runtime connects to and keeps its large values in.</summary>
    internal (string SocketPath, string TransferEndPoint)? ExternalObjectStore { get; set; }

    /// <summary>The cluster's credentials, set by the CLI's node host (which also puts the silo on TLS with them); null
    /// for plain connections.</summary>
    internal ObjectStore.Security.ClusterCredentials? Credentials { get; set; }

    /// <summary>The TCP port of the node's task channel (ADR 0025), set by the CLI's node host from
    /// <c>--task-channel-port</c>; 0 (the default): a free port chosen when the node starts.</summary>
    internal int TaskChannelPort { get; set; }

    /// <summary>Takes the node settings of <paramref name="options"/> (an embedded node's, or the CLI's).</summary>
    internal void CopyFrom(RayOptions options)
    {
        NumCpus = options.NumCpus;
        NumGpus = options.NumGpus;
        Memory = options.Memory;
        ObjectStoreMemory = options.ObjectStoreMemory;
        Namespace = options.Namespace;
        InlineThreshold = options.InlineThreshold;
        CodeCacheBytes = options.CodeCacheBytes;
        foreach (var (name, amount) in options.Resources)
        {
            Resources[name] = amount;
        }
    }
}
