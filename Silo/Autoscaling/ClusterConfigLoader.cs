using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace OrleansRay.Silo.Autoscaling;

/// <summary>Reads and checks a cluster config file (Ray's cluster launcher YAML shape):</summary>
/// <example><code>
/// cluster_name: demo
/// max_workers: 4
/// upscaling_speed: 1.0
/// idle_timeout_minutes: 5
/// provider:
///   type: local                 # or kubernetes (namespace, deployment, kubeconfig, context)
/// head_node_type: head
/// available_node_types:
///   head:
///     resources: {CPU: 1}
///   worker:
///     resources: {CPU: 2}
///     min_workers: 0
///     max_workers: 2
///     start_options:            # further `orleansray start` options, without the dashes
///       object-store-memory: 536870912
/// </code></example>
/// <remarks>Unknown fields, wrong types, negative numbers, min_workers above max_workers, a head_node_type that is not a
/// node type, a missing provider... are refused with a <see cref="ClusterConfigException"/> naming the file, the line
/// and the field.</remarks>
internal static class ClusterConfigLoader
{
    private static readonly string[] TopFields = ["cluster_name", "max_workers", "upscaling_speed", "idle_timeout_minutes", "provider", "head_node_type", "available_node_types"];
    private static readonly string[] TypeFields = ["resources", "min_workers", "max_workers", "start_options"];
    private static readonly string[] LocalFields = ["type", "node_ip_address"];
    private static readonly string[] KubernetesFields = ["type", "namespace", "deployment", "kubeconfig", "context"];

    /// <summary>Reads the file at <paramref name="path"/>.</summary>
    /// <exception cref="ClusterConfigException">The file is missing, not YAML, or not a valid cluster config.</exception>
    public static ClusterConfig Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = System.IO.Path.GetFullPath(path);
        string text;
        try
        {
            text = File.ReadAllText(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ClusterConfigException(full, 0, string.Empty, $"cannot be read ({e.Message}); give the path of a cluster config file.", e);
        }

        return Parse(text, full);
    }

    /// <summary>Reads config <paramref name="text"/>; <paramref name="filePath"/> names it in messages.</summary>
    /// <exception cref="ClusterConfigException">The text is not YAML or not a valid cluster config.</exception>
    public static ClusterConfig Parse(string text, string filePath)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(filePath);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e) when (e.Message.Contains("duplicate key", StringComparison.OrdinalIgnoreCase) && KeyAt(text, e.Start.Line) is { } key)
        {
            throw new ClusterConfigException(filePath, e.Start.Line, key, "appears twice in its mapping; keep one.", e);
        }
        catch (YamlException e)
        {
            throw new ClusterConfigException(filePath, e.Start.Line, string.Empty, $"is not valid YAML: {e.Message} Fix the syntax there (indentation, a missing ':' or quote).", e);
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet's representation model fails this way on some unterminated constructs: find where the events stop.
            throw new ClusterConfigException(filePath, LastReadableLine(text), string.Empty, "is not valid YAML from this line on: check that every [, { and quote opened here is closed.", e);
        }

        if (stream.Documents.Count != 1)
        {
            throw new ClusterConfigException(filePath, 1, string.Empty, $"holds {stream.Documents.Count} YAML documents; a cluster config is exactly one.");
        }

        var top = YamlFields.Of(filePath, string.Empty, stream.Documents[0].RootNode);
        var name = top.String("cluster_name") ?? throw top.Error("cluster_name", "missing; add cluster_name: NAME (letters, digits, '-', '_').");
        if (!YamlFields.IsName(name))
        {
            throw top.Error("cluster_name", $"'{name}' is not a name; use letters, digits, '.', '-' and '_'.");
        }

        var maxWorkers = top.Count("max_workers", ClusterConfig.DefaultMaxWorkers);
        var speed = top.Number("upscaling_speed", ClusterConfig.DefaultUpscalingSpeed, positive: true);
        var idleMinutes = top.Number("idle_timeout_minutes", ClusterConfig.DefaultIdleTimeoutMinutes);
        var provider = ReadProvider(top.Mapping("provider") ?? throw top.Error("provider", "missing; add a provider section, e.g. provider: {type: local}."));
        var headType = top.String("head_node_type") ?? throw top.Error("head_node_type", "missing; add head_node_type: NAME, naming the entry of available_node_types the head is started as.");
        var typesSection = top.Mapping("available_node_types") ?? throw top.Error("available_node_types", "missing; add available_node_types with the head's type and the worker types.");
        top.RefuseUnknown(TopFields);

        var types = new Dictionary<string, NodeTypeConfig>(StringComparer.Ordinal);
        var entries = typesSection.Entries().ToList();
        if (!entries.Any(e => e.Key == headType))
        {
            var known = entries.Count == 0 ? "there are none" : "they are: " + string.Join(", ", entries.Select(e => e.Key));
            throw top.Error("head_node_type", $"'{headType}' is not one of available_node_types ({known}); name one, or add a '{headType}' entry.");
        }

        foreach (var (typeName, node) in entries)
        {
            if (!YamlFields.IsName(typeName))
            {
                throw typesSection.Error(typeName, $"'{typeName}' is not a node type name; use letters, digits, '.', '-' and '_'.");
            }

            var section = YamlFields.Of(filePath, typesSection.FieldPath(typeName), node);
            types[typeName] = ReadNodeType(section, typeName, isHead: typeName == headType, maxWorkers);
        }

        var workers = types.Values.Where(t => t.Name != headType).ToList();
        var minimums = workers.Sum(t => t.MinWorkers);
        if (minimums > maxWorkers)
        {
            throw top.Error("max_workers", $"is {maxWorkers} but the node types' min_workers add up to {minimums}; raise max_workers or lower min_workers.");
        }

        if (provider is KubernetesProviderConfig && workers.Count != 1)
        {
            throw top.Error("available_node_types", $"the kubernetes provider scales one worker Deployment, so it takes exactly one worker node type besides the head's; there are {workers.Count}.");
        }

        return new ClusterConfig(filePath, name, headType, types, maxWorkers, speed, TimeSpan.FromMinutes(idleMinutes), provider);
    }

    private static string? KeyAt(string text, long line)
    {
        var lines = text.Split('\n');
        if (line < 1 || line > lines.Length)
        {
            return null;
        }

        var colon = lines[line - 1].IndexOf(':', StringComparison.Ordinal);
        return colon > 0 ? lines[line - 1][..colon].Trim().TrimStart('-', ' ') : null;
    }

    private static long LastReadableLine(string text)
    {
        var parser = new Parser(new StringReader(text));
        long line = 1;
        try
        {
            while (parser.MoveNext())
            {
                line = parser.Current?.End.Line ?? line;
            }
        }
        catch (YamlException e)
        {
            return e.Start.Line;
        }
        catch (InvalidOperationException)
        {
            // Where the events stopped.
        }

        return line;
    }

    private static NodeTypeConfig ReadNodeType(YamlFields section, string name, bool isHead, int globalMax)
    {
        section.RefuseUnknownFirst(TypeFields);
        var (resources, zeros) = ReadResources(section);
        if (!isHead && resources.IsEmpty)
        {
            throw section.Error("resources", "a worker node type needs its resources, so the autoscaler knows what a new node brings; e.g. resources: {CPU: 2}.");
        }

        var min = section.Count("min_workers", 0);
        var max = section.Count("max_workers", globalMax);
        if (isHead && (min > 0 || (section.Find("max_workers") is not null && max > 0)))
        {
            throw section.Error(min > 0 ? "min_workers" : "max_workers", "the head's node type is the head alone; give workers a node type of their own (min_workers and max_workers there).");
        }

        if (min > max)
        {
            throw section.Error("min_workers", $"min_workers ({min}) is greater than max_workers ({max}); lower min_workers or raise max_workers.");
        }

        var options = new List<KeyValuePair<string, string?>>();
        var optionLines = new Dictionary<string, long>(StringComparer.Ordinal);
        var optionsLine = section.Line;
        if (section.Mapping("start_options") is { } startOptions)
        {
            optionsLine = section.LineOf("start_options");
            foreach (var (option, node) in startOptions.Entries())
            {
                var optionName = option.TrimStart('-');
                if (!YamlFields.IsName(optionName))
                {
                    throw startOptions.Error(option, $"'{option}' is not an `orleansray start` option name; write it without the dashes, e.g. object-store-memory.");
                }

                if (NodeTypeConfig.ReservedStartOptions.Contains(optionName))
                {
                    throw startOptions.Error(option, $"--{optionName} is set by the autoscaler (from resources, or to join the head); remove it here" + (optionName is "num-cpus" or "num-gpus" or "memory" or "resources" ? " and put the amount under resources." : "."));
                }

                if (NodeTypeConfig.LauncherStartOptions.Contains(optionName) && !(isHead && NodeTypeConfig.HeadStartOptions.Contains(optionName)))
                {
                    throw startOptions.Error(option, isHead
                        ? $"--{optionName} is set by `orleansray up`; remove it here."
                        : $"--{optionName} is set by the autoscaler for each worker it launches (free ports, the provider's node_ip_address); remove it here.");
                }

                var value = node switch
                {
                    YamlScalarNode { Style: ScalarStyle.Plain, Value: "true" } => null,
                    YamlScalarNode s => s.Value ?? string.Empty,
                    _ => throw startOptions.Error(option, $"expected the option's value (a number or text, or true for a flag), got {YamlFields.Describe(node)}."),
                };
                if (node is YamlScalarNode { Style: ScalarStyle.Plain, Value: "false" })
                {
                    continue;
                }

                options.Add(new KeyValuePair<string, string?>(optionName, value));
                optionLines[optionName] = startOptions.LineOf(option);
            }
        }

        section.RefuseUnknown(TypeFields);
        return new NodeTypeConfig(name, resources, min, max, options) { StartOptionLines = optionLines, StartOptionsLine = optionsLine, ZeroAmounts = zeros };
    }

    /// <summary>The section's <c>resources</c>, and the names it gives as 0 (a <see cref="ResourceSet"/> keeps no zero
    /// amount, but CPU: 0 must still start the node with --num-cpus 0, not with every CPU of its machine).</summary>
    private static (ResourceSet Resources, IReadOnlyList<string> Zeros) ReadResources(YamlFields section)
    {
        if (section.Mapping("resources") is not { } resources)
        {
            return (ResourceSet.Empty, []);
        }

        var items = new List<KeyValuePair<string, double>>();
        var zeros = new List<string>();
        foreach (var (resource, node) in resources.Entries())
        {
            var amount = resources.NumberOf(node, resources.FieldPath(resource), resource);
            // A node is started with --num-cpus/--num-gpus, which take whole numbers (as Ray's do): a fraction here would
            // launch nodes that refuse to start.
            if (resource is ResourceSet.Cpu or ResourceSet.Gpu && amount != Math.Floor(amount))
            {
                throw resources.Error(resource, $"{resource} is {amount.ToString(CultureInfo.InvariantCulture)}; a node offers a whole number of {resource}s (orleansray start --num-{resource.ToLowerInvariant()}s), e.g. {Math.Ceiling(amount).ToString(CultureInfo.InvariantCulture)}.");
            }

            items.Add(new KeyValuePair<string, double>(resource, amount));
            if (amount == 0)
            {
                zeros.Add(resource);
            }
        }

        return (ResourceSet.From(items), zeros);
    }

    private static ProviderConfig ReadProvider(YamlFields section)
    {
        var type = section.String("type") ?? throw section.Error("type", "missing; add type: local or type: kubernetes.");
        switch (type)
        {
            case "local":
            {
                var ip = section.String("node_ip_address", "127.0.0.1")!;
                section.RefuseUnknown(LocalFields);
                return new LocalProviderConfig(ip);
            }

            case "kubernetes":
            {
                var ns = section.String("namespace", "orleansray")!;
                var deployment = section.String("deployment", "orleansray-worker")!;
                var kubeconfig = section.String("kubeconfig");
                var context = section.String("context");
                if (!YamlFields.IsName(ns) || !YamlFields.IsName(deployment))
                {
                    throw section.Error(!YamlFields.IsName(ns) ? "namespace" : "deployment", "is not a Kubernetes name; use lower-case letters, digits and '-'.");
                }

                section.RefuseUnknown(KubernetesFields);
                return new KubernetesProviderConfig(ns, deployment, kubeconfig, context);
            }

            default:
                throw section.Error("type", string.Create(CultureInfo.InvariantCulture, $"'{type}' is not a provider type; use local (worker processes on this machine) or kubernetes (the worker Deployment)."));
        }
    }
}
