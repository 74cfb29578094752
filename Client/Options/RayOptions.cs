namespace OrleansRay;

/// <summary>How <see cref="Ray.InitAsync(RayOptions?, CancellationToken)"/> starts or connects.</summary>
public sealed class RayOptions
{
    /// <summary>CPUs of the embedded node. Default: <see cref="Environment.ProcessorCount"/>.</summary>
    /// <remarks>This and the other node options (<see cref="NumGpus"/>, <see cref="Resources"/>, <see cref="ObjectStoreMemory"/>,
    /// <see cref="Memory"/>) are refused together with <see cref="Address"/> (<see cref="ArgumentException"/>), as Ray's
    /// <c>ray.init</c> refuses <c>num_cpus</c> with an address: a connected driver adds nothing to the cluster.</remarks>
    public double? NumCpus { get; set; }

    /// <summary>GPUs of the embedded node. Default: 0.</summary>
    public double NumGpus { get; set; }

    /// <summary>Custom resources of the embedded node, e.g. <c>["accel"] = 2</c>. Default: none.</summary>
    public Dictionary<string, double> Resources { get; } = new(StringComparer.Ordinal);

    /// <summary>Bytes of shared memory for the object store: 0 (no store: every value stays inline in the managed heap) or
    /// at least <see cref="MinObjectStoreMemory"/>. Default: 30% of physical memory, capped at 200 GiB (as Ray).</summary>
    /// <remarks><see cref="Ray.InitAsync"/> throws <see cref="ArgumentOutOfRangeException"/> for other values.</remarks>
    public long? ObjectStoreMemory { get; set; }

    /// <summary>The smallest object store a node accepts: 32 MiB (the CLI's <c>--object-store-memory</c> minimum; Ray's
    /// is 75 MiB). Smaller stores could not hold a single large value.</summary>
    public const long MinObjectStoreMemory = 32L << 20;

    /// <summary>Bytes of memory the node offers to tasks and actors ("memory" resource). Default: 70% of physical memory.</summary>
    public long? Memory { get; set; }

    /// <summary>A running cluster to connect to: "host:port" of a gateway, or "auto". Default: null = start an embedded node.</summary>
    /// <remarks>The gateway is the head's <c>--port</c> (default 30000), not a node's <c>--node-port</c> nor the dashboard's
    /// URL: <see cref="Ray.InitAsync"/> throws <see cref="ArgumentException"/> for a URL, and <see cref="RayException"/> for
    /// an address that answers as a node's silo port, each saying which address to give.</remarks>
    public string? Address { get; set; }

    /// <summary>The cluster's auth token, for a connected driver (<see cref="Address"/>). Default: null =
    /// <c>$ORLEANSRAY_AUTH_TOKEN</c>, else the token file of the head started on this machine (as "auto" finds its
    /// address). Ignored by an embedded node (one process on loopback needs none).</summary>
    /// <remarks>The driver's connection to the cluster is TLS 1.3 with a key derived from the token; a wrong or missing
    /// token, or a malformed one (under 16 characters, white space, here or in <c>$ORLEANSRAY_AUTH_TOKEN</c>), makes
    /// <see cref="Ray.InitAsync"/> throw <see cref="RayException"/> saying so; a token together with <see cref="Insecure"/>
    /// throws <see cref="ArgumentException"/>.
    /// Ray: <c>RAY_AUTH_TOKEN</c>.</remarks>
    public string? AuthToken { get; set; }

    /// <summary>Connect without TLS or a token, to a cluster started with <c>orleansray start --insecure</c> (a trusted
    /// network only). Default: false, unless <c>$ORLEANSRAY_INSECURE</c> is <c>true</c> or <c>1</c> and neither this nor
    /// <see cref="AuthToken"/> is set: a value set here wins over the variable, as a token given here does.</summary>
    /// <remarks>The variable is read when the driver connects (<see cref="Ray.InitAsync"/>); a value other than
    /// true, false, 1 or 0 makes it throw <see cref="ArgumentException"/> naming the variable. This property reads back
    /// what was set here, never the variable.</remarks>
    public bool Insecure
    {
        get => _insecure ?? false;
        set => _insecure = value;
    }

    /// <summary><see cref="Insecure"/> when it was set, null when not (then <c>$ORLEANSRAY_INSECURE</c> may decide).</summary>
    internal bool? InsecureGiven => _insecure;

    private bool? _insecure;

    /// <summary>What a connected driver's job brings to the cluster (Ray's <c>runtime_env</c>): its code (shipped by
    /// default) and environment variables for its tasks and actors. Ignored by an embedded node, whose code is in the
    /// process already.</summary>
    public RuntimeEnv RuntimeEnv { get; set; } = new();

    /// <summary>A connected driver prints what its job's tasks and actor methods write to the console on the cluster's
    /// nodes, each line prefixed with where it ran: <c>(Program.Square pid=4242, ip=10.0.0.3) hello</c> (an actor's lines name
    /// its class), standard error lines on its standard error. Ray's <c>log_to_driver</c>. Default: true.</summary>
    /// <remarks>False: the nodes send the driver nothing, and the lines are only in each node's log (its session folder's
    /// <c>logs/</c>). The nodes started with <c>orleansray start</c> forward output; an embedded node's tasks run in the
    /// driver's process and print to its console directly. A line is sent once its line break is written; a node holds
    /// at most 100,000 lines for a driver that does not keep up, and the driver prints how many it dropped.</remarks>
    public bool LogToDriver { get; set; } = true;

    /// <summary>How long a connected driver (<see cref="Address"/>) waits for a cluster that stopped answering (stopped,
    /// killed, or cut off by the network) before it gives it up: every pending and later get, wait and actor call then
    /// throws <see cref="ClusterLostException"/>. Ray's <c>gcs_rpc_server_reconnect_timeout_s</c>. Default: null = the
    /// seconds in <c>$ORLEANSRAY_HEAD_RECONNECT_TIMEOUT_S</c> (the variable the cluster's worker nodes read for the same
    /// wait), else 60 s.</summary>
    /// <remarks>A cluster that answers again within it (a network blip, a head paused while no worker runs) fails
    /// nothing; a head that answers nothing for more than about 3 s while workers run is declared dead by their
    /// membership probes and stops itself as it resumes, which ends a cluster without PostgreSQL storage. A node the driver
    /// connected through whose port refuses connections (stopped or killed) is given up at once, whatever this says. A head only paused (a long GC, an overloaded machine) cannot be told from a dead one sooner, so keep it
    /// well above such pauses. At least <see cref="MinReconnectTimeout"/> (5 s; <see cref="Ray.InitAsync"/> throws
    /// <see cref="ArgumentOutOfRangeException"/> otherwise); a variable that is not a number of seconds from 5 keeps
    /// 60 s and the driver logs a warning. Ignored by an embedded node (its cluster is in the process).</remarks>
    public TimeSpan? ReconnectTimeout { get; set; }

    /// <summary>The shortest <see cref="ReconnectTimeout"/>: 5 s.</summary>
    public static readonly TimeSpan MinReconnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Namespace of named actors. Default: "default".</summary>
    public string Namespace { get; set; } = "default";

    /// <summary>Values up to this many bytes travel inline; larger ones go to the object store. Default: 100 KiB.</summary>
    public int InlineThreshold { get; set; } = 100 * 1024;

    /// <summary>Bytes of jobs' shipped code the embedded node keeps on disk once no job uses it (a re-run of the same
    /// code then starts without fetching it); beyond it the least recently used unused package is removed. Default:
    /// 1 GiB (1073741824 bytes). See <see cref="RayNodeOptions.CodeCacheBytes"/>.</summary>
    public long CodeCacheBytes { get; set; } = 1L << 30;

    /// <summary>Minimum level of the embedded node's log. Default: Warning.</summary>
    public Microsoft.Extensions.Logging.LogLevel LogLevel { get; set; } = Microsoft.Extensions.Logging.LogLevel.Warning;

    /// <summary>A second place the driver's log goes, next to the console (tests read its warnings there); null: the
    /// console only. Not public: an application that wants its own logging hosts a node with <c>UseOrleansRay</c>.</summary>
    internal Microsoft.Extensions.Logging.ILoggerProvider? LogTo { get; set; }

    /// <summary>Picks a free port for the embedded node's silo and gateway; null: one the OS has free now. Not public: a
    /// test gives one that is taken, to see the start tried again.</summary>
    internal Func<int>? PickPort { get; set; }

    /// <summary>The names of the embedded node's options that were given (a connected driver refuses them).</summary>
    private string[] NodeOptionsGiven()
    {
        var given = new List<string>();
        if (NumCpus is not null)
        {
            given.Add(nameof(NumCpus));
        }

        if (NumGpus != 0)
        {
            given.Add(nameof(NumGpus));
        }

        if (Resources.Count > 0)
        {
            given.Add(nameof(Resources));
        }

        if (ObjectStoreMemory is not null)
        {
            given.Add(nameof(ObjectStoreMemory));
        }

        if (Memory is not null)
        {
            given.Add(nameof(Memory));
        }

        return [.. given];
    }

    internal void Validate()
    {
        if (NumCpus is { } cpus && (cpus < 0 || double.IsNaN(cpus) || double.IsInfinity(cpus)))
        {
            throw new ArgumentOutOfRangeException(nameof(NumCpus), cpus, "RayOptions.NumCpus must be a finite number >= 0.");
        }

        if (NumGpus < 0 || double.IsNaN(NumGpus) || double.IsInfinity(NumGpus))
        {
            throw new ArgumentOutOfRangeException(nameof(NumGpus), NumGpus, "RayOptions.NumGpus must be a finite number >= 0.");
        }

        if (ObjectStoreMemory is < 0 or (> 0 and < MinObjectStoreMemory))
        {
            throw new ArgumentOutOfRangeException(nameof(ObjectStoreMemory), ObjectStoreMemory,
                $"RayOptions.ObjectStoreMemory must be 0 (no object store) or at least {MinObjectStoreMemory} bytes (32 MiB).");
        }

        if (Memory is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Memory), Memory, "RayOptions.Memory must be >= 0 bytes.");
        }

        if (InlineThreshold < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(InlineThreshold), InlineThreshold, "RayOptions.InlineThreshold must be >= 0 bytes.");
        }

        if (CodeCacheBytes < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(CodeCacheBytes), CodeCacheBytes, "RayOptions.CodeCacheBytes must be >= 0 bytes (0: keep no unused code).");
        }

        if (Address is { } address && address.Contains("://", StringComparison.Ordinal))
        {
            // Ray's ray.init takes "ray://" and its job verbs the dashboard's http:// URL, so people give one here too
            // (the CLI's --address says the same: OptionValues.HostPort).
            throw new ArgumentException(
                $"RayOptions.Address = \"{address}\" is a URL: a driver connects to the cluster's gateway \"HOST:PORT\", e.g. \"127.0.0.1:30000\" (the Address `orleansray start --head` and `orleansray status` print; the head's --port), or \"auto\". The http:// dashboard URL is for the `orleansray job` verbs (job submit, list, status, logs, stop).",
                nameof(Address));
        }

        if (Address is not null && NodeOptionsGiven() is { Length: > 0 } given)
        {
            // Ray's ray.init refuses num_cpus, num_gpus, resources and object_store_memory with an address: a driver that
            // connects adds nothing to the cluster, so the values would be silently ignored.
            throw new ArgumentException(
                $"RayOptions.{string.Join(", RayOptions.", given)} {(given.Length == 1 ? "is" : "are")} set together with Address = \"{Address}\": a connected driver adds no resources or store to the cluster (its nodes have theirs, from `orleansray start --num-cpus ... --resources ... --object-store-memory ...`). Remove {(given.Length == 1 ? "it" : "them")}, or leave Address null to start an embedded node with {(given.Length == 1 ? "it" : "them")}.",
                given[0]);
        }

        if (ReconnectTimeout is { } reconnect && (reconnect < MinReconnectTimeout || reconnect > TimeSpan.FromDays(365)))
        {
            throw new ArgumentOutOfRangeException(nameof(ReconnectTimeout), reconnect,
                $"RayOptions.ReconnectTimeout must be {MinReconnectTimeout.TotalSeconds:0} s to 365 days: how long a connected driver waits for a cluster that stopped answering (its view of the cluster refreshes every 0.3 s, and a loaded machine delays that by seconds: less would give up a healthy cluster). Leave it null for $ORLEANSRAY_HEAD_RECONNECT_TIMEOUT_S, else 60 s.");
        }

        if (string.IsNullOrWhiteSpace(Namespace))
        {
            throw new ArgumentException("RayOptions.Namespace cannot be empty.", nameof(Namespace));
        }

        if (!Enum.IsDefined(LogLevel))
        {
            throw new ArgumentOutOfRangeException(nameof(LogLevel), LogLevel,
                $"RayOptions.LogLevel = {(int)LogLevel} is not a log level: give one of {string.Join(", ", Enum.GetNames<Microsoft.Extensions.Logging.LogLevel>())}.");
        }

        foreach (var (name, amount) in Resources)
        {
            if (string.IsNullOrWhiteSpace(name) || amount < 0 || double.IsNaN(amount) || double.IsInfinity(amount))
            {
                throw new ArgumentException($"RayOptions.Resources[\"{name}\"] = {amount}: names must be non-empty and amounts finite and >= 0.", nameof(Resources));
            }
        }

        ArgumentNullException.ThrowIfNull(RuntimeEnv, nameof(RuntimeEnv));
        if (RuntimeEnv.MaxCodeBytes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(RuntimeEnv), RuntimeEnv.MaxCodeBytes, "RayOptions.RuntimeEnv.MaxCodeBytes must be > 0 bytes.");
        }

        OrleansRay.RuntimeEnv.CheckEnvVars(RuntimeEnv.EnvVars, "RayOptions.RuntimeEnv.EnvVars", nameof(RuntimeEnv));

        if (RuntimeEnv.MaxWorkingDirBytes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(RuntimeEnv), RuntimeEnv.MaxWorkingDirBytes, "RayOptions.RuntimeEnv.MaxWorkingDirBytes must be > 0 bytes.");
        }

        ValidateWorkingDir(Environment.GetEnvironmentVariable(OrleansRay.RuntimeEnv.JobWorkingDirVariable));
    }

    /// <summary>The job's working dir as a full path: <see cref="RuntimeEnv.WorkingDir"/>, else <paramref name="fromJob"/>
    /// (<c>ORLEANSRAY_JOB_WORKING_DIR</c>, which <c>orleansray job submit</c> sets), except for a connected driver that
    /// ships no code (its tasks have no package to carry one); null for none.</summary>
    internal string? JobWorkingDir(string? fromJob)
    {
        if (RuntimeEnv.WorkingDir is { } given)
        {
            return Path.GetFullPath(given);
        }

        return fromJob is { Length: > 0 } && (Address is null || RuntimeEnv.ShipCode) ? Path.GetFullPath(fromJob) : null;
    }

    /// <summary><see cref="JobWorkingDir(string?)"/> with this process's <c>ORLEANSRAY_JOB_WORKING_DIR</c>.</summary>
    internal string? JobWorkingDir() => JobWorkingDir(Environment.GetEnvironmentVariable(OrleansRay.RuntimeEnv.JobWorkingDirVariable));

    /// <summary>Checks the job's working dir (<paramref name="fromJob"/>: the process's <c>ORLEANSRAY_JOB_WORKING_DIR</c>).</summary>
    /// <exception cref="ArgumentException">It is empty, set for a connected driver that ships no code, or not a folder;
    /// the message names where it came from.</exception>
    internal void ValidateWorkingDir(string? fromJob)
    {
        if (RuntimeEnv.WorkingDir is { } given)
        {
            if (string.IsNullOrWhiteSpace(given) || given.Contains('\0', StringComparison.Ordinal))
            {
                throw new ArgumentException($"RayOptions.RuntimeEnv.WorkingDir = \"{given}\" is not a folder's path: give a folder, or leave it null for none.", nameof(RuntimeEnv));
            }

            if (Address is not null && !RuntimeEnv.ShipCode)
            {
                throw new ArgumentException(
                    $"RayOptions.RuntimeEnv.WorkingDir = \"{given}\" with ShipCode = false: a job's working dir travels with its code package, and a driver that ships no code has none. Set ShipCode = true, or leave WorkingDir null.",
                    nameof(RuntimeEnv));
            }
        }

        if (JobWorkingDir(fromJob) is { } folder && !Directory.Exists(folder))
        {
            var source = RuntimeEnv.WorkingDir is { } named
                ? $"RayOptions.RuntimeEnv.WorkingDir = \"{named}\""
                : $"{OrleansRay.RuntimeEnv.JobWorkingDirVariable} = \"{fromJob}\" (the working dir `orleansray job submit` gave this job)";
            throw new ArgumentException($"{source}: no such folder ({folder}). Give an existing folder, whose files the job's tasks and actors then read at RayContext.WorkingDirectory.", nameof(RuntimeEnv));
        }
    }
}
