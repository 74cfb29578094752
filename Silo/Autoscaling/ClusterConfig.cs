using System.Globalization;

namespace OrleansRay.Silo.Autoscaling;

/// <summary>A cluster config file (Ray's cluster launcher YAML, C#-side): what <c>orleansray up</c> starts and what the
/// autoscaler may add and remove. Read with <see cref="ClusterConfigLoader.Load(string)"/>, which refuses a bad file.</summary>
/// <param name="FilePath">The file it was read from (full path): messages and <c>down</c> name it.</param>
/// <param name="ClusterName">Ray's <c>cluster_name</c>: letters, digits, '-' and '_'.</param>
/// <param name="HeadNodeType">Ray's <c>head_node_type</c>: the entry of <see cref="NodeTypes"/> the head is started as.</param>
/// <param name="NodeTypes">Ray's <c>available_node_types</c>, by name (the head's type included).</param>
/// <param name="MaxWorkers">Ray's global <c>max_workers</c>: worker nodes of all types together, the head not counted. Default 2.</param>
/// <param name="UpscalingSpeed">Ray's <c>upscaling_speed</c>: how many nodes may be launching at once, as a multiple of the
/// nodes of that type already running (at least <see cref="AutoscalerPlanner.InitialUpscaleNodes"/>). Default 1.</param>
/// <param name="IdleTimeout">Ray's <c>idle_timeout_minutes</c> (a fraction is allowed): a worker idle this long is
/// removed. Default 5 minutes.</param>
/// <param name="Provider">Ray's <c>provider</c> section: where worker nodes come from.</param>
internal sealed record ClusterConfig(
    string FilePath,
    string ClusterName,
    string HeadNodeType,
    IReadOnlyDictionary<string, NodeTypeConfig> NodeTypes,
    int MaxWorkers,
    double UpscalingSpeed,
    TimeSpan IdleTimeout,
    ProviderConfig Provider)
{
    /// <summary>Ray's default <c>max_workers</c>.</summary>
    public const int DefaultMaxWorkers = 2;

    /// <summary>Ray's default <c>upscaling_speed</c>.</summary>
    public const double DefaultUpscalingSpeed = 1.0;

    /// <summary>Ray's default <c>idle_timeout_minutes</c>.</summary>
    public const double DefaultIdleTimeoutMinutes = 5;

    /// <summary>The head's node type.</summary>
    public NodeTypeConfig HeadType => NodeTypes[HeadNodeType];

    /// <summary>A problem with start option <paramref name="option"/> (its name without the dashes) of
    /// <paramref name="type"/>, at that entry's line: "FILE:LINE: available_node_types.TYPE.start_options.OPTION:
    /// problem". When <paramref name="option"/> is null or not one of the type's entries, at its <c>start_options</c>
    /// line, naming the mapping.</summary>
    public ClusterConfigException StartOptionError(NodeTypeConfig type, string? option, string problem)
    {
        ArgumentNullException.ThrowIfNull(type);
        var field = $"available_node_types.{type.Name}.start_options";
        return option is not null && type.StartOptionLines.TryGetValue(option, out var line)
            ? new ClusterConfigException(FilePath, line, field + "." + option, problem)
            : new ClusterConfigException(FilePath, type.StartOptionsLine, field, problem);
    }

    /// <summary>The types the autoscaler launches workers of (every type but the head's), in name order.</summary>
    public IReadOnlyList<NodeTypeConfig> WorkerTypes =>
        NodeTypes.Values.Where(t => t.Name != HeadNodeType).OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
}

/// <summary>One entry of <c>available_node_types</c>: what a node of the type offers and how many of it may run.</summary>
/// <param name="Name">The entry's key.</param>
/// <param name="Resources">Ray's <c>resources</c>: what one node of the type offers ("CPU", "GPU", "memory" in bytes,
/// custom names). The node is started with exactly these (<c>--num-cpus</c>, <c>--num-gpus</c>, <c>--memory</c>,
/// <c>--resources</c>). Empty for a head that offers what its machine has.</param>
/// <param name="MinWorkers">Ray's <c>min_workers</c>: kept running even when idle. Default 0.</param>
/// <param name="MaxWorkers">Ray's per-type <c>max_workers</c>. Default: the global <c>max_workers</c>.</param>
/// <param name="StartOptions">Further <c>orleansray start</c> options a node of the type gets (<c>start_options</c>,
/// name without the dashes → value), in file order; not checked against <c>start</c> here: a node started with a bad
/// one fails to start, which the provider reports (the head's type is checked by <c>orleansray up</c> before it starts
/// the head, each problem at its entry's line: see <see cref="ClusterConfig.StartOptionError"/>).</param>
internal sealed record NodeTypeConfig(
    string Name,
    ResourceSet Resources,
    int MinWorkers,
    int MaxWorkers,
    IReadOnlyList<KeyValuePair<string, string?>> StartOptions)
{
    /// <summary>The start options set from <see cref="Resources"/> or by the launcher; a node type cannot set them.</summary>
    public static readonly IReadOnlySet<string> ReservedStartOptions =
        new HashSet<string>(StringComparer.Ordinal) { "head", "address", "num-cpus", "num-gpus", "memory", "resources", "block" };

    /// <summary>The start options the launcher sets on every node (the head's by <c>up</c>, the workers' by the local
    /// provider: their ports are chosen free); a worker type cannot set them, the head's type only the ports.</summary>
    public static readonly IReadOnlySet<string> LauncherStartOptions =
        new HashSet<string>(StringComparer.Ordinal) { "autoscaling-config", "session-dir", "primary-node", "port", "node-port", "task-channel-port", "object-manager-port", "node-ip-address" };

    /// <summary>Of <see cref="LauncherStartOptions"/>, those the head's type may set (its ports and address are the user's).</summary>
    public static readonly IReadOnlySet<string> HeadStartOptions =
        new HashSet<string>(StringComparer.Ordinal) { "port", "node-port", "task-channel-port", "object-manager-port", "node-ip-address" };

    /// <summary>The line of each <see cref="StartOptions"/> entry's key in the config file, by option name (without the
    /// dashes): <see cref="ClusterConfig.StartOptionError"/> points there.</summary>
    public IReadOnlyDictionary<string, long> StartOptionLines { get; init; } = new Dictionary<string, long>(StringComparer.Ordinal);

    /// <summary>The resources the file gives as 0 (<see cref="Resources"/> keeps no zero amount): a type with CPU: 0 is
    /// started with <c>--num-cpus 0</c> (as Ray users keep work off the head), not with its machine's CPUs.</summary>
    public IReadOnlyList<string> ZeroAmounts { get; init; } = [];

    /// <summary>The line of the type's <c>start_options</c> key (the type's own line when it has none; 0 when not read
    /// from a file): where a problem no single entry causes is reported.</summary>
    public long StartOptionsLine { get; init; }

    /// <summary>The <c>orleansray start</c> arguments of a node of this type, after the launcher's own (<c>--address</c>
    /// ...): the resources, then <see cref="StartOptions"/> (a null value is a flag: <c>--name</c> alone).</summary>
    public IReadOnlyList<string> StartArguments()
    {
        var args = new List<string>();
        var custom = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, amount) in Resources.Items)
        {
            switch (name)
            {
                case ResourceSet.Cpu:
                    args.Add("--num-cpus");
                    args.Add(amount.ToString(CultureInfo.InvariantCulture));
                    break;
                case ResourceSet.Gpu:
                    args.Add("--num-gpus");
                    args.Add(amount.ToString(CultureInfo.InvariantCulture));
                    break;
                case ResourceSet.Memory:
                    args.Add("--memory");
                    args.Add(((long)amount).ToString(CultureInfo.InvariantCulture));
                    break;
                default:
                    custom[name] = amount;
                    break;
            }
        }

        foreach (var zero in ZeroAmounts)
        {
            var option = zero switch { ResourceSet.Cpu => "--num-cpus", ResourceSet.Gpu => "--num-gpus", ResourceSet.Memory => "--memory", _ => null };
            if (option is not null)
            {
                args.Add(option);
                args.Add("0");
            }
        }

        if (custom.Count > 0)
        {
            args.Add("--resources");
            args.Add("{" + string.Join(", ", custom.Select(c => string.Create(CultureInfo.InvariantCulture, $"\"{c.Key}\": {c.Value}"))) + "}");
        }

        foreach (var (name, value) in StartOptions)
        {
            args.Add("--" + name);
            if (value is not null)
            {
                args.Add(value);
            }
        }

        return args;
    }
}

/// <summary>Ray's <c>provider</c> section: where worker nodes come from.</summary>
internal abstract record ProviderConfig
{
    /// <summary>The provider's <c>type</c> value.</summary>
    public abstract string Type { get; }
}

/// <summary><c>type: local</c>: worker nodes are <c>orleansray start</c> processes on this machine.</summary>
/// <param name="NodeIpAddress">The <c>--node-ip-address</c> the workers get. Default 127.0.0.1.</param>
internal sealed record LocalProviderConfig(string NodeIpAddress) : ProviderConfig
{
    /// <inheritdoc/>
    public override string Type => "local";
}

/// <summary><c>type: kubernetes</c>: worker nodes are the pods of one Deployment (deploy/kubernetes' orleansray-worker),
/// scaled through the Kubernetes API.</summary>
/// <param name="Namespace">The Deployment's namespace. Default orleansray.</param>
/// <param name="Deployment">The worker Deployment's name. Default orleansray-worker.</param>
/// <param name="Kubeconfig">A kubeconfig file; null: the in-cluster service account when running in a pod, else the
/// default kubeconfig (~/.kube/config or $KUBECONFIG).</param>
/// <param name="Context">The kubeconfig context; null: its current one.</param>
internal sealed record KubernetesProviderConfig(string Namespace, string Deployment, string? Kubeconfig, string? Context) : ProviderConfig
{
    /// <inheritdoc/>
    public override string Type => "kubernetes";
}
