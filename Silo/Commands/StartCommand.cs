using System.CommandLine;
using System.Globalization;
using System.Net;
using OrleansRay.Hosting;
using OrleansRay.ObjectStore.Security;
using OrleansRay.Silo.Cli;
using OrleansRay.Silo.Hosting;
using OrleansRay.Silo.Storage;
using OrleansRay.Silo.Storage.Postgres;
using Spectre.Console;

namespace OrleansRay.Silo.Commands;

/// <summary><c>orleansray start</c>: starts this machine's node in the background (a head with <c>--head</c>, a worker
/// joining with <c>--address</c>), waits until it is up and says how to use it.</summary>
internal sealed class StartCommand : Command
{
    /// <summary>The head's client port when none is given (Ray's head uses 6379; any fixed number works).</summary>
    public const int DefaultHeadPort = 30000;

    /// <summary>The head's dashboard port when none is given (Ray's).</summary>
    public const int DefaultDashboardPort = 8265;

    private readonly Option<bool> _head = new("--head") { Description = "Start the head node: a new cluster, the membership primary." };
    private readonly Option<string?> _address = new("--address") { Description = "Join the cluster whose head listens at HOST:PORT (the --port the head printed)." };
    private readonly Option<int?> _port = new("--port") { Description = $"Client port: drivers and `status` connect here. Default: {DefaultHeadPort} on the head, a free port on workers." };
    private readonly Option<int?> _nodePort = new("--node-port") { Description = "Port nodes talk to each other on. Default: a free port." };
    private readonly Option<int?> _taskChannelPort = new("--task-channel-port") { Description = "Port of this node's task channel, where drivers and other nodes send it tasks and actor calls straight over TCP (TLS unless --insecure). Default: a free port. Fix it when a firewall must let it through; an owner that cannot reach it sends through --node-port or --port instead, slower." };
    private readonly Option<int?> _objectManagerPort = new("--object-manager-port") { Description = "Port of this node's object store transfers, where other nodes and drivers pull its objects (TLS unless --insecure). Default: a free port. Fix it when a firewall must let it through: objects above the inline threshold move only over it." };
    private readonly Option<string> _nodeIp = new("--node-ip-address") { Description = "This node's address as other nodes and clients reach it (an IP or a host name), or `auto`: the first IPv4 address of a network interface that is up and not loopback (a container's or pod's own address). Default: 127.0.0.1 on the head (this machine only: give `auto` or a reachable address so other machines can join); on a worker, the address this machine reaches the head from (127.0.0.1 for a head on loopback)." };
    private readonly Option<double?> _numCpus = new("--num-cpus") { Description = "CPUs this node offers to tasks and actors, a whole number. Default: the machine's core count." };
    private readonly Option<double> _numGpus = new("--num-gpus") { Description = "GPUs this node offers, a whole number (a task or actor may ask for a fraction of one). Default: 0." };
    private readonly Option<string?> _resources = new("--resources") { Description = "Custom resources as JSON, e.g. '{\"accel\": 2}'." };
    private readonly Option<long?> _memory = new("--memory") { Description = "Bytes of memory this node offers to tasks and actors. Default: 70% of the machine's memory." };
    private readonly Option<long?> _objectStoreMemory = new("--object-store-memory") { Description = "Bytes for the object store, at least 33554432 (32 MiB). Default: 30% of the machine's memory, at most 200 GiB." };
    private readonly Option<long?> _codeCacheBytes = new("--code-cache-bytes") { Description = "Bytes of jobs' shipped code this node keeps on disk once nothing running uses it (beyond it the least recently used unused package is removed); 0 keeps none. Default: 1073741824 (1 GiB)." };
    private readonly Option<string> _storage = new("--storage")
    {
        // No DefaultValueFactory: help prints a default's value, and this one may be a connection string with a password.
        Description = $"Where membership and control-store state live: `memory` (the head is the membership primary, nothing to install) or a PostgreSQL connection string (\"Host=...;Database=...;Username=...;Password=...\"); the head creates the schema in an empty database. Default: ${NodeSettings.StorageVariable} when set (keeps a password out of `ps`), else memory.",
    };
    private readonly Option<string[]> _load = new(UserAssemblies.Option)
    {
        Description = "Load this application assembly (.dll; absolute, or relative to the current folder) into the node before it starts, so tasks and actors defined in it can run here ([GenerateSerializer] types included) and its Orleans grain classes are hosted here. Repeat for several: --load App.dll --load Lib.dll. Every node that may run the code needs it.",
        Arity = ArgumentArity.OneOrMore,
        HelpName = "PATH.dll",
    };
    private readonly Option<bool> _block = new("--block") { Description = "Run the node in the foreground (logs to the console) until Ctrl+C or `orleansray stop`." };
    private readonly Option<int?> _dashboardPort = new("--dashboard-port") { Description = $"Head only: port of the dashboard, /api and /metrics. Default: {DefaultDashboardPort} (a free port when {DefaultDashboardPort} is taken)." };
    private readonly Option<string> _dashboardHost = new("--dashboard-host") { Description = "Head only: address the dashboard listens on; 0.0.0.0 exposes it to the network (it needs the cluster's token unless --insecure; plain HTTP: put a TLS proxy in front).", DefaultValueFactory = _ => "127.0.0.1" };
    private readonly Option<string?> _authToken = AuthTokens.TokenOption();
    private readonly Option<bool> _insecure = AuthTokens.InsecureOption("No TLS and no token: anyone who can reach this node's ports (and the dashboard) can run code on the cluster. Only for a trusted network; every node and driver of the cluster must use it too. Default: $ORLEANSRAY_INSECURE (true/false/1/0) unless --auth-token is given.");
    private readonly Option<bool> _metricsOpen = new("--metrics-open") { Description = "Head only: serve /metrics without the token, for a Prometheus that cannot send one (the other endpoints still need it)." };
    private readonly Option<int?> _healthPort = new("--health-port") { Description = "Serve GET /healthz (200 while the node is up, no token needed) over plain HTTP on this port, on any node: for container and Kubernetes probes. The head also answers /healthz on its dashboard port." };
    private readonly Option<string?> _autoscalingConfig = new("--autoscaling-config") { Description = "Head only: run the autoscaler on the head with this cluster config file (YAML, Ray's cluster launcher shape; what `orleansray up` passes): it launches and removes worker nodes for the cluster's pending demands.", HelpName = "FILE" };
    private readonly Option<string?> _sessionDir = new("--session-dir") { Hidden = true, Description = "Session folder chosen by the launching `start` (internal)." };
    private readonly Option<string?> _primaryNode = new("--primary-node") { Hidden = true, Description = "The head's node endpoint for a worker without --storage (internal)." };

    public StartCommand()
        : base("start", "Start this machine's OrleansRay node in the background: the head of a new cluster (--head) or a worker joining one (--address).")
    {
        Options.Add(_head);
        Options.Add(_address);
        Options.Add(_port);
        Options.Add(_nodePort);
        Options.Add(_taskChannelPort);
        Options.Add(_objectManagerPort);
        Options.Add(_nodeIp);
        Options.Add(_numCpus);
        Options.Add(_numGpus);
        Options.Add(_resources);
        Options.Add(_memory);
        Options.Add(_objectStoreMemory);
        Options.Add(_codeCacheBytes);
        Options.Add(_storage);
        Options.Add(_load);
        Options.Add(_dashboardPort);
        Options.Add(_dashboardHost);
        Options.Add(_block);
        Options.Add(_authToken);
        Options.Add(_insecure);
        Options.Add(_metricsOpen);
        Options.Add(_healthPort);
        Options.Add(_autoscalingConfig);
        Options.Add(_sessionDir);
        Options.Add(_primaryNode);
        SetAction(RunAsync);
    }

    /// <summary>The checked <c>--code-cache-bytes</c> of <paramref name="parse"/>: null when not given (the node's
    /// default), else bytes >= 0; a negative value is refused in one line (exit code 2).</summary>
    internal long? CodeCacheBytes(ParseResult parse) => OptionValues.NonNegative("--code-cache-bytes", parse.GetValue(_codeCacheBytes));

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var paths = CliPaths.Current;
        var head = parse.GetValue(_head);
        var join = parse.GetValue(_address);
        if (head == (join is not null))
        {
            throw CliException.Usage(head
                ? "--head and --address: give one; --head starts a new cluster, --address HOST:PORT joins one."
                : "give --head to start a new cluster, or --address HOST:PORT to join one.");
        }

        var launched = parse.GetValue(_sessionDir) is not null;
        // Every value a person can get wrong is checked first, then the ports, then what this machine runs: nothing is
        // printed (the second head's warning) unless the node then starts. A bad autoscaling file is one line naming
        // its line and field.
        var autoscaling = AutoscalingConfig(parse.GetValue(_autoscalingConfig), head);
        if (!head)
        {
            EnsureNoHeadOnlyOption(parse);
        }

        var ipText = parse.GetValue(_nodeIp) ?? "127.0.0.1";
        var ip = parse.GetResult(_nodeIp) is not { Implicit: false } && !head && !launched
            // Ray's worker: without --node-ip-address it takes the address its machine reaches the head from (loopback
            // for a head on loopback), so the head and the other nodes dial it there, not their own loopback.
            ? OptionValues.RouteTo("--address", join!)
            : OptionValues.EnsureLocalAddress(ipText, OptionValues.NodeAddress(ipText));
        var storageGiven = parse.GetValue(_storage);
        var storageSource = storageGiven is null ? "$" + NodeSettings.StorageVariable : "--storage";
        var storageText = (storageGiven ?? (Environment.GetEnvironmentVariable(NodeSettings.StorageVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : null))?.Trim() ?? "memory";
        var storage = string.Equals(storageText, "memory", StringComparison.OrdinalIgnoreCase) ? null : storageText;
        // Read once: no child of this process needs it (a background node gets it from NodeLauncher, which sets it from
        // the settings; a --block node's object store, like a launched node's, has no use for it), as README says.
        Environment.SetEnvironmentVariable(NodeSettings.StorageVariable, null);

        if (storage is not null)
        {
            try
            {
                PostgresSchema.ParseConnectionString(storage, storageSource);
            }
            catch (StorageSetupException ex)
            {
                // A malformed value is bad input (exit 2), like every other option's; it names where it came from.
                throw CliException.Usage(ex.Message);
            }
        }

        var portGiven = parse.GetValue(_port) is { } givenPort ? OptionValues.Port("--port", givenPort) : (int?)null;
        var nodePortGiven = parse.GetValue(_nodePort) is { } givenNodePort ? OptionValues.Port("--node-port", givenNodePort) : (int?)null;
        var settings = new NodeSettings
        {
            MetricsOpen = parse.GetValue(_metricsOpen),
            HealthPort = parse.GetValue(_healthPort) is { } healthPort ? OptionValues.Port("--health-port", healthPort) : null,
            IsHead = head,
            AutoscalingConfig = autoscaling,
            HeadAddress = join,
            NodeIpAddress = ip,
            TaskChannelPort = parse.GetValue(_taskChannelPort) is { } channelPort ? OptionValues.Port("--task-channel-port", channelPort) : null,
            ObjectManagerPort = parse.GetValue(_objectManagerPort) is { } transferPort ? OptionValues.Port("--object-manager-port", transferPort) : null,
            NumCpus = OptionValues.WholeCount("--num-cpus", parse.GetValue(_numCpus), "CPUs"),
            NumGpus = OptionValues.WholeCount("--num-gpus", parse.GetValue(_numGpus), "GPUs") ?? 0,
            Resources = OptionValues.Resources(parse.GetValue(_resources)),
            Memory = OptionValues.NonNegative("--memory", parse.GetValue(_memory)),
            ObjectStoreMemory = OptionValues.ObjectStoreMemory(OptionValues.NonNegative("--object-store-memory", parse.GetValue(_objectStoreMemory))),
            CodeCacheBytes = CodeCacheBytes(parse),
            LogRotation = LogRotationSettings.FromEnvironment(),
            Storage = storage,
            Session = parse.GetValue(_sessionDir) ?? string.Empty,
            // Files only here; the launching `start` tries the types below, once it is done with the cluster.
            Load = UserAssemblies.Check(parse.GetValue(_load), loadTypes: false),
        };
        var dashboardHost = head ? DashboardHost(parse) : null;
        var dashboardPortGiven = head && parse.GetValue(_dashboardPort) is { } givenDashboard ? OptionValues.Port("--dashboard-port", givenDashboard) : (int?)null;
        if (settings.HealthPort is { } healthGiven && healthGiven == dashboardPortGiven)
        {
            throw CliException.Usage($"--health-port {healthGiven.ToString(CultureInfo.InvariantCulture)} is the dashboard's port: give another (the dashboard port answers /healthz too).");
        }

        // Two equal ports of one node are refused before anything starts (the ports left to choose are chosen apart).
        OptionValues.EnsureDistinctPorts(new (string Option, int? Port)[]
            {
                ("--port", portGiven), ("--node-port", nodePortGiven), ("--task-channel-port", settings.TaskChannelPort),
                ("--object-manager-port", settings.ObjectManagerPort), ("--dashboard-port", dashboardPortGiven), ("--health-port", settings.HealthPort),
            }
            .Where(p => p.Port.HasValue).Select(p => (p.Option, p.Port!.Value)));

        var runningHeadWarning = head && !launched ? RunningHeadWarning(parse, paths) : null;
        var taken = new HashSet<int>(new int?[] { portGiven, nodePortGiven, settings.TaskChannelPort, settings.ObjectManagerPort, dashboardPortGiven, settings.HealthPort }.OfType<int>());
        var clientPort = portGiven ?? (head ? DefaultHeadPort : FreePortApart(ip, taken));
        taken.Add(clientPort);
        settings = settings with { Port = clientPort, NodePort = nodePortGiven ?? FreePortApart(ip, taken) };
        taken.Add(settings.NodePort);
        OptionValues.EnsureDistinctPorts(settings.HealthPort.HasValue ? settings.FixedPorts().Append(("--health-port", settings.HealthPort.Value)) : settings.FixedPorts());

        if (!head && !launched && storage is null)
        {
            // A worker without a database needs the head at once: "nothing answers there" comes before any token question.
            var (joinHost, joinPort) = OptionValues.HostPort("--address", join!);
            await OptionValues.EnsureAnswersAsync("--address", join!, new IPEndPoint(OptionValues.Resolve("--address", joinHost), joinPort), cancellationToken).ConfigureAwait(false);
        }

        var credentials = NodeCredentials(parse, head, paths, launched, out var tokenCreated);
        settings = settings with { Credentials = credentials };

        var resources = EmbeddedCluster.NodeResources(settings.ToRayOptions());
        if (!launched)
        {
            // The launching `start` checks everything a person can fix, so the background node rarely fails.
            foreach (var (option, port) in settings.FixedPorts())
            {
                OptionValues.EnsurePortFree(option, ip, port);
            }

            if (settings.HealthPort is { } health)
            {
                OptionValues.EnsurePortFree("--health-port", IPAddress.Any, health);
            }
        }

        if (head)
        {
            settings = settings with { Dashboard = DashboardEndpoint(dashboardHost!, dashboardPortGiven, taken, launched) };
        }

        var console = ConsoleOutput.Create();
        string? schemaNote = null;
        if (storage is not null && !launched)
        {
            schemaNote = await PrepareStorageAsync(head, storage, cancellationToken).ConfigureAwait(false);
        }

        IPEndPoint? primary = null;
        if (!head && storage is null)
        {
            primary = parse.GetValue(_primaryNode) is { } given
                ? ParseEndpoint(given)
                : await ClusterClient.FindPrimaryNodeAsync(join!, () => Copy(credentials), cancellationToken).ConfigureAwait(false);
        }
        else if (!head && !launched)
        {
            // A worker of a PostgreSQL cluster joins through the database, where a wrong token would only show as a
            // node that never joins: connect to the head first, so a token problem is one line now.
            try
            {
                await using var check = await ClusterClient.ConnectAsync("--address", join!, () => Copy(credentials), cancellationToken).ConfigureAwait(false);
            }
            catch (CliException ex) when (ex.ExitCode == CliException.FailureExitCode)
            {
                // The head does not answer (yet): the database is what this worker needs, so it goes on.
                ConsoleOutput.Create().MarkupLine(Markup.Escape($"note: {ex.Message} Joining through the database anyway."));
            }
        }

        if (!launched && !parse.GetValue(_block))
        {
            // Only the launching `start` tries the types in a throwaway context (a node, background or --block, loads
            // them for real and must not have a second copy around), and only after its cluster client is gone: the
            // same check on every node, whatever the node did before.
            UserAssemblies.CheckTypes(settings.Load);
        }

        if (parse.GetValue(_block) || launched)
        {
            if (!launched)
            {
                PrintWarning(runningHeadWarning);
                settings = settings with { Session = paths.CreateSession() };
                // In the foreground (a container's entrypoint) this is the one place a made-up token is shown.
                PrintSecurity(console, settings, tokenCreated, paths);
            }

            return await NodeHost.RunAsync(settings, primary, paths, cancellationToken).ConfigureAwait(false);
        }

        settings = settings with { Session = paths.CreateSession() };
        var record = await NodeLauncher.LaunchAsync(settings, settings.StartArguments(join, primary), paths, cancellationToken).ConfigureAwait(false);
        PrintWarning(runningHeadWarning);
        PrintStarted(console, settings, record, resources, schemaNote, join);
        PrintSecurity(console, settings, tokenCreated, paths);
        return 0;
    }

    /// <summary>The full path of a valid <c>--autoscaling-config</c> file (null without the option).</summary>
    /// <exception cref="CliException">Given to a worker, or the file is not a valid cluster config (its file:line: field).</exception>
    private static string? AutoscalingConfig(string? path, bool head)
    {
        if (path is null)
        {
            return null;
        }

        if (!head)
        {
            throw CliException.Usage("--autoscaling-config runs the autoscaler on the head: give it with --head (or use `orleansray up FILE`).");
        }

        try
        {
            return Autoscaling.ClusterConfigLoader.Load(path).FilePath;
        }
        catch (Autoscaling.ClusterConfigException ex)
        {
            throw CliException.Usage(ex.Message);
        }
    }

    /// <summary>Ray's <c>ray start --head</c> refuses to start where a head already runs unless given another <c>--port</c>:
    /// without <c>--port</c> a second head is refused in one line; with it, it starts, and a warning (returned here,
    /// printed once the node starts) says it takes over this machine's address and token files (the CLI's and "auto"
    /// drivers' default cluster) and how to reach the other. Null when no head runs here.</summary>
    /// <exception cref="CliException">A head started here runs and no <c>--port</c> was given.</exception>
    private string? RunningHeadWarning(ParseResult parse, CliPaths paths)
    {
        if (paths.RunningHead() is not { } running)
        {
            return null;
        }

        if (parse.GetResult(_port) is not { Implicit: false })
        {
            throw new CliException($"a head already runs on this machine at {running.Address} (`orleansray status` shows it): stop it with `orleansray stop`, or start a second cluster deliberately with --port PORT (it becomes this machine's default cluster) or with ${CliPaths.TempDirVariable} set to another folder.");
        }

        var token = Path.Combine(running.Session, "auth_token");
        return $"warning: a head already runs on this machine at {running.Address}: this new cluster becomes this machine's default (the address and token files `orleansray` and drivers with Address = \"auto\" read); reach the other with --address {running.Address}{(File.Exists(token) ? " and the token in " + token : " --insecure")}.";
    }

    private static void PrintWarning(string? warning)
    {
        if (warning is not null)
        {
            // One line, as written: the console's word wrap (160 columns when redirected) would break it mid-sentence.
            Console.Out.WriteLine(warning);
        }
    }

    /// <summary>A free port at <paramref name="address"/> that is none of <paramref name="taken"/> (the node's other ports).</summary>
    private static int FreePortApart(IPAddress address, HashSet<int> taken)
    {
        while (true)
        {
            var port = OptionValues.FreePort(address);
            if (!taken.Contains(port))
            {
                return port;
            }
        }
    }

    /// <summary>Refuses, on a worker, an option only the head uses (the dashboard is the head's), as
    /// <c>--autoscaling-config</c> is refused: given and ignored, it would look as if it took effect.</summary>
    private void EnsureNoHeadOnlyOption(ParseResult parse)
    {
        foreach (var option in new Option[] { _dashboardPort, _dashboardHost, _metricsOpen })
        {
            if (parse.GetResult(option) is { Implicit: false })
            {
                throw CliException.Usage($"{option.Name} is for the head, which serves the dashboard, /api and /metrics: give it with --head, or leave it out on a worker.");
            }
        }
    }

    /// <summary>The checked <c>--dashboard-host</c>: an address of this machine, or 0.0.0.0 / :: (every interface).</summary>
    private IPAddress DashboardHost(ParseResult parse)
    {
        var text = parse.GetValue(_dashboardHost) ?? "127.0.0.1";
        var host = OptionValues.Resolve("--dashboard-host", text);
        return host.Equals(IPAddress.Any) || host.Equals(IPAddress.IPv6Any)
            ? host
            : OptionValues.EnsureLocalAddress(text, host, option: "--dashboard-host", alternative: "0.0.0.0 (every interface)");
    }

    /// <summary>The head's dashboard endpoint: a port given explicitly must be free (a one-line error otherwise); the
    /// default 8265 gives way to a free port when another cluster on this machine holds it, or this node's other ports
    /// use it.</summary>
    private static IPEndPoint DashboardEndpoint(IPAddress host, int? given, HashSet<int> taken, bool launched)
    {
        if (given is { } port)
        {
            if (!launched)
            {
                OptionValues.EnsurePortFree("--dashboard-port", host, port, addressOption: "--dashboard-host");
            }

            return new IPEndPoint(host, port);
        }

        return new IPEndPoint(host, !taken.Contains(DefaultDashboardPort) && OptionValues.IsPortFree(host, DefaultDashboardPort) ? DefaultDashboardPort : FreePortApart(host, taken));
    }

    /// <summary>The node's credentials: none with --insecure (or $ORLEANSRAY_INSECURE); else the token given (option, environment) or found on this
    /// machine (the head's token file); else, on a head, a new one.</summary>
    private ClusterCredentials? NodeCredentials(ParseResult parse, bool head, CliPaths paths, bool launched, out bool created)
    {
        created = false;
        if (parse.GetResult(_insecure) is { Implicit: false } && parse.GetValue(_insecure) && parse.GetValue(_authToken) is not null)
        {
            throw CliException.Usage("--auth-token and --insecure: give one; --insecure runs the cluster without a token.");
        }

        // A launched node is told by argument (--insecure) or by its token variable: the launching `start` decided.
        if (launched ? parse.GetValue(_insecure) : AuthTokens.IsInsecure(parse, _authToken, _insecure))
        {
            return null;
        }

        if (AuthTokens.Find(parse.GetValue(_authToken), paths) is { } found)
        {
            return AuthTokens.Parse(found.Token, found.Source);
        }

        if (!head || launched)
        {
            throw CliException.Usage(head
                ? $"the launching `start` passes the token in ${ClusterCredentials.TokenVariable}; it is not set."
                : $"joining a cluster needs its auth token: give --auth-token TOKEN or set ${ClusterCredentials.TokenVariable} (the token `orleansray start --head` printed; on the head's machine it is in {paths.TokenFile}), or --insecure for a cluster started with --insecure.");
        }

        created = true;
        return ClusterCredentials.FromToken(ClusterCredentials.NewToken());
    }

    /// <summary>A copy for a short-lived cluster client (which disposes what it is given; the node keeps its own).</summary>
    private static ClusterCredentials? Copy(ClusterCredentials? credentials) =>
        credentials is null ? null : ClusterCredentials.FromToken(credentials.Token);

    /// <summary>Says how the cluster is protected: the token when this start made it (printed this once), or the
    /// warning of --insecure.</summary>
    private static void PrintSecurity(IAnsiConsole console, NodeSettings settings, bool tokenCreated, CliPaths paths)
    {
        if (settings.Credentials is null)
        {
            console.MarkupLine(Markup.Escape($"warning: --insecure: no TLS and no token. Anyone who can reach {settings.Address}, port {settings.NodePort.ToString(CultureInfo.InvariantCulture)}{(settings.DashboardUrl is { } url ? " or " + url : string.Empty)} can run code on this cluster, and read its objects from the object store's transfer port; use it on a trusted network only."));
            return;
        }

        if (tokenCreated)
        {
            console.WriteLine();
            console.MarkupLine("[bold]Auth token[/] (shown once; on this machine nodes and drivers find it, saved with mode 0600 in "
                + Markup.Escape(paths.TokenFile) + "):");
            console.MarkupLine("    " + Markup.Escape(settings.Credentials.Token));
            if (IPAddress.IsLoopback(settings.NodeIpAddress))
            {
                console.MarkupLine(Markup.Escape($"  On another machine: none reaches this head, which listens on {settings.NodeIpAddress} only. Start it with --node-ip-address auto"));
                console.MarkupLine(Markup.Escape($"  (or an address they reach); there: export {ClusterCredentials.TokenVariable}=<the token>, then `orleansray start --address THAT-ADDRESS:{settings.Port.ToString(CultureInfo.InvariantCulture)}`."));
            }
            else
            {
                console.MarkupLine(Markup.Escape($"  On another machine: export {ClusterCredentials.TokenVariable}=<the token>, then `orleansray start --address {settings.Address}` or a driver."));
            }
        }
    }

    private static async Task<string> PrepareStorageAsync(bool head, string storage, CancellationToken cancellationToken)
    {
        if (head)
        {
            var applied = await PostgresSchema.MigrateAsync(storage, cancellationToken).ConfigureAwait(false);
            return applied.Count == 0
                ? $"schema up to date (version {PostgresSchema.LatestVersion.ToString(CultureInfo.InvariantCulture)})"
                : $"schema created (versions {string.Join(", ", applied)})";
        }

        if (await PostgresSchema.CheckAsync(storage, cancellationToken).ConfigureAwait(false) is { } problem)
        {
            throw new CliException(problem);
        }

        return $"schema version {PostgresSchema.LatestVersion.ToString(CultureInfo.InvariantCulture)}";
    }

    private static IPEndPoint ParseEndpoint(string text)
    {
        var (host, port) = OptionValues.HostPort("--primary-node", text);
        return new IPEndPoint(OptionValues.Resolve("--primary-node", host), port);
    }

    private static void PrintStarted(IAnsiConsole console, NodeSettings settings, NodeRecord record, ResourceSet resources, string? schemaNote, string? join)
    {
        var role = settings.IsHead ? "head node" : "worker node";
        console.MarkupLine($"[green]Local {role} started[/] (pid {record.Pid.ToString(CultureInfo.InvariantCulture)}).");
        var lines = new LabelledLines();
        lines.Add("Address", $"{record.Address} (clients), port {settings.NodePort.ToString(CultureInfo.InvariantCulture)} (nodes)");
        lines.Add("Resources", ResourceText.Describe(resources));
        lines.Add("Storage", settings.Storage is null ? "memory (the head is the membership primary; state is lost when it stops)" : $"PostgreSQL {ResourceText.RedactPassword(settings.Storage)}: {schemaNote}");
        if (settings.Load.Count > 0)
        {
            lines.Add("Loaded", UserAssemblies.Summary(settings.Load));
        }

        lines.Add("Logs", record.LogFile);
        if (settings.DashboardUrl is { } url)
        {
            lines.Add("Dashboard", $"{url} (Orleans dashboard: {url}/orleans, metrics: {url}/metrics)");
        }

        lines.WriteTo(console);
        console.WriteLine();
        var address = settings.IsHead ? record.Address : join!;
        // A cluster without TLS and token is reached only by clients that say so (the CLI and drivers default to a token).
        var (insecureFlag, insecureOption) = settings.Credentials is null ? (" --insecure", ", Insecure = true") : (string.Empty, string.Empty);
        console.MarkupLine("[bold]Next steps[/]");
        console.MarkupLine("  To connect a driver to this cluster:");
        console.MarkupLine(Markup.Escape($"    await using var ray = await Ray.InitAsync(new RayOptions {{ Address = \"{address}\"{insecureOption} }});"));
        var loopbackHead = settings.IsHead && IPAddress.IsLoopback(settings.NodeIpAddress);
        console.MarkupLine(loopbackHead ? "  To add another node on this machine, run:" : "  To add another node to this cluster (from any machine that reaches it), run:");
        console.MarkupLine(Markup.Escape(settings.Storage is null
            ? $"    orleansray start --address {address}{insecureFlag}"
            : $"    {NodeSettings.StorageVariable}=\"<the same connection string>\" orleansray start --address {address}{insecureFlag}"));
        if (loopbackHead)
        {
            // The default keeps a single machine private; say so, or "another machine" would dial its own loopback.
            console.MarkupLine(Markup.Escape($"  Other machines cannot join: this head listens on {settings.NodeIpAddress} only. To let them, start the head with"));
            console.MarkupLine("  --node-ip-address auto (or an address they reach) and give them that address with --address.");
        }
        console.MarkupLine("  To see the status of the cluster, run:");
        console.MarkupLine($"    orleansray status{insecureFlag}");
        if (settings.DashboardUrl is { } dashboardUrl)
        {
            console.MarkupLine("  To watch the cluster, open the dashboard:");
            console.MarkupLine(Markup.Escape($"    {dashboardUrl}"));
        }

        console.MarkupLine("  To stop the nodes started on this machine, run:");
        console.MarkupLine("    orleansray stop");
    }
}
