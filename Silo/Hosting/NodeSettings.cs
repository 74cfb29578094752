using System.Globalization;
using System.Net;
using OrleansRay.ObjectStore.Security;

namespace OrleansRay.Silo.Hosting;

/// <summary>What <c>orleansray start</c> was asked for, checked: the node's ports, resources and storage.</summary>
internal sealed record NodeSettings
{
    /// <summary>Cluster and service id of every OrleansRay cluster; one database or set of ports holds one cluster.</summary>
    public const string ClusterId = "orleansray";

    /// <summary>Environment variable holding the <c>--storage</c> value when the option is not given: how a connection
    /// string with a password reaches a node without showing in any process' command line (<c>ps</c>). The launching
    /// <c>start</c> passes it to the background node this way, never as an argument.</summary>
    public const string StorageVariable = "ORLEANSRAY_STORAGE";

    /// <summary>The suffix of the Orleans silo name of a node whose cluster keeps its membership in PostgreSQL.</summary>
    private const string PostgresSiloSuffix = "-postgresql";

    /// <summary>The Orleans silo name of a node (membership tables and <c>IManagementGrain</c> show it):
    /// <c>orleansray-PORT-memory</c> or <c>orleansray-PORT-postgresql</c>, by where the cluster keeps its membership.</summary>
    public static string SiloNameOf(bool postgres, int port) =>
        string.Create(CultureInfo.InvariantCulture, $"orleansray-{port}{(postgres ? PostgresSiloSuffix : "-memory")}");

    /// <summary>True when <paramref name="siloName"/> (<see cref="SiloNameOf"/>) is a node of a PostgreSQL cluster.</summary>
    public static bool IsPostgresSiloName(string? siloName) =>
        siloName is not null && siloName.StartsWith("orleansray-", StringComparison.Ordinal) && siloName.EndsWith(PostgresSiloSuffix, StringComparison.Ordinal);

    /// <summary>Client (gateway) port: drivers and <c>status</c> connect here. Default: 30000 for the head.</summary>
    public int Port { get; init; }

    /// <summary>Silo-to-silo port.</summary>
    public int NodePort { get; init; }

    /// <summary>The node's task channel port (<c>--task-channel-port</c>), where drivers and other nodes send it tasks
    /// and lone actor calls; null: a free port chosen at start.</summary>
    public int? TaskChannelPort { get; init; }

    /// <summary>The object store's transfer port (<c>--object-manager-port</c>, Ray's name), where other nodes and
    /// drivers pull objects from this node; null: a free port chosen at start.</summary>
    public int? ObjectManagerPort { get; init; }

    /// <summary>The fixed ports this node listens on, each with the option that set it (the optional ones only when
    /// given), for the checks that they differ and are free.</summary>
    public IEnumerable<(string Option, int Port)> FixedPorts()
    {
        yield return ("--port", Port);
        yield return ("--node-port", NodePort);
        if (TaskChannelPort is { } channel)
        {
            yield return ("--task-channel-port", channel);
        }

        if (ObjectManagerPort is { } transfer)
        {
            yield return ("--object-manager-port", transfer);
        }
    }

    /// <summary>The address other nodes and clients reach this node at. Default: 127.0.0.1.</summary>
    public IPAddress NodeIpAddress { get; init; } = IPAddress.Loopback;

    /// <summary>True for the head (the membership primary with the embedded default storage).</summary>
    public bool IsHead { get; init; }

    public double? NumCpus { get; init; }

    public double NumGpus { get; init; }

    public IReadOnlyDictionary<string, double> Resources { get; init; } = new Dictionary<string, double>();

    public long? ObjectStoreMemory { get; init; }

    public long? Memory { get; init; }

    /// <summary>Bytes of unused shipped job code the node keeps on disk (<c>--code-cache-bytes</c>,
    /// <see cref="RayNodeOptions.CodeCacheBytes"/>); 0 keeps none; null: the default, 1 GiB.</summary>
    public long? CodeCacheBytes { get; init; }

    /// <summary>A worker: the head's client address it joined through (<c>--address</c>); null on the head.</summary>
    public string? HeadAddress { get; init; }

    /// <summary>PostgreSQL connection string; null for the embedded default (localhost clustering, in-memory state).</summary>
    public string? Storage { get; init; }

    /// <summary>Where the head serves the dashboard, /api and /metrics; null on workers (no dashboard).
    /// Default on the head: http://127.0.0.1:8265.</summary>
    public IPEndPoint? Dashboard { get; init; }

    /// <summary>The dashboard's URL, or null when this node serves none.</summary>
    public string? DashboardUrl => Dashboard is null ? null : $"http://{Dashboard}";

    /// <summary>The cluster's secret and the TLS identity derived from it; null when the node runs with <c>--insecure</c>
    /// (plain TCP, open HTTP). Default: the head makes a token, other nodes find it (see <c>AuthTokens</c>).</summary>
    public ClusterCredentials? Credentials { get; init; }

    /// <summary>Serve <c>/metrics</c> without the token (<c>--metrics-open</c>), for a Prometheus that cannot send one.</summary>
    public bool MetricsOpen { get; init; }

    /// <summary>Port of a plain-HTTP health endpoint (<c>GET /healthz</c>) on any node (<c>--health-port</c>); null for
    /// none. The head also answers <c>/healthz</c> on its dashboard port.</summary>
    public int? HealthPort { get; init; }

    /// <summary>Full paths of the application assemblies the node loads before its silo starts (<c>--load</c>).</summary>
    public IReadOnlyList<string> Load { get; init; } = [];

    /// <summary>Head only: the cluster config file (full path) whose autoscaler runs on this head
    /// (<c>--autoscaling-config</c>, what <c>orleansray up</c> passes); null: no autoscaler.</summary>
    public string? AutoscalingConfig { get; init; }

    /// <summary>When a background node's log rotates (<c>ORLEANSRAY_ROTATION_MAX_BYTES</c>,
    /// <c>ORLEANSRAY_ROTATION_BACKUP_COUNT</c>); Ray's defaults, 512 MiB and 5 parts.</summary>
    public LogRotationSettings LogRotation { get; init; } = LogRotationSettings.Default;

    /// <summary>The session folder (logs, pid files point here).</summary>
    public required string Session { get; init; }

    public string Address => string.Create(CultureInfo.InvariantCulture, $"{NodeIpAddress}:{Port}");

    public string LogFile => Path.Combine(Session, "logs", string.Create(CultureInfo.InvariantCulture, $"node-{Port}.log"));

    /// <summary>The node settings among these as <see cref="RayOptions"/> (resources, object store, code cache), what
    /// <see cref="ApplyTo"/> gives the node.</summary>
    public RayOptions ToRayOptions()
    {
        var options = new RayOptions { NumCpus = NumCpus, NumGpus = NumGpus, ObjectStoreMemory = ObjectStoreMemory, Memory = Memory };
        if (CodeCacheBytes is { } codeCache)
        {
            options.CodeCacheBytes = codeCache;
        }

        foreach (var (name, amount) in Resources)
        {
            options.Resources[name] = amount;
        }

        return options;
    }

    /// <summary>Gives the node these settings (<see cref="ToRayOptions"/>): what the node host does with
    /// <paramref name="node"/> before its silo starts.</summary>
    public void ApplyTo(RayNodeOptions node)
    {
        ArgumentNullException.ThrowIfNull(node);
        node.CopyFrom(ToRayOptions());
    }

    /// <summary>These settings as the arguments of the background node <c>start</c> launches: everything already decided,
    /// so it makes no choice of its own.</summary>
    /// <param name="join">A worker's <c>--address</c>; null on the head.</param>
    /// <param name="primary">A worker's <c>--primary-node</c> (no database); null otherwise.</param>
    public List<string> StartArguments(string? join, IPEndPoint? primary)
    {
        static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
        var args = new List<string> { "start" };
        if (IsHead)
        {
            args.Add("--head");
        }
        else
        {
            args.AddRange(["--address", join!]);
        }

        args.AddRange(["--port", Port.ToString(CultureInfo.InvariantCulture)]);
        args.AddRange(["--node-port", NodePort.ToString(CultureInfo.InvariantCulture)]);
        args.AddRange(["--node-ip-address", NodeIpAddress.ToString()]);
        if (TaskChannelPort is { } channelPort)
        {
            args.AddRange(["--task-channel-port", channelPort.ToString(CultureInfo.InvariantCulture)]);
        }

        if (ObjectManagerPort is { } transferPort)
        {
            args.AddRange(["--object-manager-port", transferPort.ToString(CultureInfo.InvariantCulture)]);
        }

        if (NumCpus is { } cpus)
        {
            args.AddRange(["--num-cpus", Number(cpus)]);
        }

        args.AddRange(["--num-gpus", Number(NumGpus)]);
        if (Resources.Count > 0)
        {
            args.AddRange(["--resources", System.Text.Json.JsonSerializer.Serialize(Resources)]);
        }

        if (Memory is { } memory)
        {
            args.AddRange(["--memory", memory.ToString(CultureInfo.InvariantCulture)]);
        }

        if (ObjectStoreMemory is { } store)
        {
            args.AddRange(["--object-store-memory", store.ToString(CultureInfo.InvariantCulture)]);
        }

        if (CodeCacheBytes is { } codeCache)
        {
            args.AddRange(["--code-cache-bytes", codeCache.ToString(CultureInfo.InvariantCulture)]);
        }

        // A connection string (it may hold a password) goes by environment (NodeLauncher), never on the command line.
        if (Storage is null)
        {
            args.AddRange(["--storage", "memory"]);
        }

        foreach (var assembly in Load)
        {
            args.AddRange([UserAssemblies.Option, assembly]);
        }

        if (Dashboard is { } dashboard)
        {
            args.AddRange(["--dashboard-host", dashboard.Address.ToString(), "--dashboard-port", dashboard.Port.ToString(CultureInfo.InvariantCulture)]);
        }

        if (primary is not null)
        {
            args.AddRange(["--primary-node", primary.ToString()]);
        }

        // The token goes by environment (NodeLauncher), never on the command line.
        if (Credentials is null)
        {
            args.Add("--insecure");
        }

        if (MetricsOpen)
        {
            args.Add("--metrics-open");
        }

        if (AutoscalingConfig is { } autoscaling)
        {
            args.AddRange(["--autoscaling-config", autoscaling]);
        }

        if (HealthPort is { } health)
        {
            args.AddRange(["--health-port", health.ToString(CultureInfo.InvariantCulture)]);
        }

        args.AddRange(["--block", "--session-dir", Session]);
        return args;
    }
}
