namespace OrleansRay.Transport;

/// <summary>The node's settings as the runtime sees them (built from the public RayOptions).</summary>
internal sealed class NodeRuntimeOptions
{
    /// <summary>Which Orleans cluster the silo or client of this runtime belongs to, "service id/cluster id" (null:
    /// unknown). An embedded node's is its own (a new cluster id per <c>Ray.InitAsync</c>); nodes and drivers of an
    /// <c>orleansray</c> cluster share theirs. Tells a handle of another cluster's actor from one of this cluster.</summary>
    public string? ClusterName { get; set; }

    /// <summary>The node's resources (CPU, GPU, memory, object_store_memory, custom).</summary>
    public ResourceSet Resources { get; set; } = ResourceSet.Empty;

    /// <summary>False for a connected driver's runtime: it owns objects and submits work but runs none.</summary>
    public bool CanExecute { get; set; } = true;

    /// <summary>Namespace for named actors. Default: "default".</summary>
    public string Namespace { get; set; } = "default";

    /// <summary>Worker threads started up front. Default: the CPU count of the node.</summary>
    public int MinWorkerThreads { get; set; } = Environment.ProcessorCount;

    /// <summary>Upper bound on worker threads (blocked functions each hold one). Default: 1024.</summary>
    public int MaxWorkerThreads { get; set; } = 1024;

    /// <summary>Values up to this many bytes stay in the owner's memory; larger ones go to the node's object store
    /// (when it has one). Default: 100 KiB.</summary>
    public int InlineThreshold { get; set; } = 100 * 1024;

    /// <summary>Where the node keeps the files of jobs' code, by content hash (null: a folder per user in the temp folder).</summary>
    public string? CodeCacheDirectory { get; set; }

    /// <summary>Bytes of jobs' code files no loaded package needs that the node's code cache keeps at most; beyond it the
    /// least recently used unused package's files go. Default: 1 GiB (<see cref="Code.CodePackages.DefaultMaxUnusedBytes"/>).</summary>
    public long CodeCacheBytes { get; set; } = Code.CodePackages.DefaultMaxUnusedBytes;

    /// <summary>Where the node unpacks jobs' working dirs, a folder of its own (null: a new folder under the user's
    /// local data folder, <c>orleansray/working_dirs/</c>). Removed when the node stops.</summary>
    public string? WorkingDirsDirectory { get; set; }

    /// <summary>The working dir of the job whose driver this runtime serves (<c>RayContext.WorkingDirectory</c>): a
    /// connected driver's <c>RuntimeEnv.WorkingDir</c>, or an embedded node's driver's, whose tasks run in this process;
    /// full path. Null on cluster nodes: their jobs' working dirs come with the jobs' code packages.</summary>
    public string? DriverWorkingDirectory { get; set; }

    /// <summary>The environment variables of the job whose driver this runtime serves when no code package carries them
    /// (an embedded node's driver, a connected driver that ships no code): its <c>RuntimeEnv.EnvVars</c>, inherited by
    /// every task and actor the driver submits, as a task's own runtime env is by its children. Null: none, or a package
    /// carries them.</summary>
    public IReadOnlyDictionary<string, string>? DriverEnvVars { get; set; }

    /// <summary>The cluster's credentials: the object stores' peer transfers are TLS with them. Null: plain TCP (an
    /// embedded node, a cluster started with <c>--insecure</c>).</summary>
    public OrleansRay.ObjectStore.Security.ClusterCredentials? Credentials { get; set; }

    /// <summary>The port the node's task channel listens on; 0 (the default): a free port chosen at start.</summary>
    public int TaskChannelPort { get; set; }

    /// <summary>The silo's gateway, "address:port", where clients (connected drivers) connect; null when unknown. A
    /// driver on the same machine finds the node it connected through by it, and uses that node's store.</summary>
    public string? Gateway { get; set; }

    /// <summary>This node was started as its cluster's head (<see cref="NodeStatus.StartedAsHead"/>). Default: false.</summary>
    public bool StartedAsHead { get; set; }
}
