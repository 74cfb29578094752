using System.CommandLine;
using System.Globalization;
using OrleansRay.Grains;
using OrleansRay.Silo.Autoscaling;
using OrleansRay.Silo.Cli;
using Spectre.Console;

namespace OrleansRay.Silo.Commands;

/// <summary><c>orleansray up CONFIG</c> (Ray's <c>ray up</c>): starts a cluster from a cluster config file: the head as
/// <c>head_node_type</c> (its resources and start options) with the autoscaler, which then launches the worker types'
/// <c>min_workers</c> and more workers for pending demands. A bad config is refused before anything starts.</summary>
internal sealed class UpCommand : Command
{
    /// <summary>How long <c>up</c> waits for the autoscaler's first round once the head is up.</summary>
    public static readonly TimeSpan FirstRoundDeadline = TimeSpan.FromSeconds(30);

    private readonly Argument<string> _config = new("CONFIG") { Description = "The cluster config file (YAML: cluster_name, head_node_type, available_node_types, max_workers, idle_timeout_minutes, upscaling_speed, provider)." };

    public UpCommand()
        : base("up", "Start a cluster from a cluster config file: the head (head_node_type) with the autoscaler, which launches min_workers and more workers for pending demands, and removes idle ones.")
    {
        Arguments.Add(_config);
        SetAction(RunAsync);
    }

    /// <summary>The config at <paramref name="path"/>; a bad one is a one-line usage error: FILE:LINE: FIELD: problem.</summary>
    internal static ClusterConfig LoadConfig(string path)
    {
        try
        {
            return ClusterConfigLoader.Load(path);
        }
        catch (ClusterConfigException ex)
        {
            throw CliException.Usage(ex.Message);
        }
    }

    /// <summary>The head's <c>orleansray start --head</c> command line (the head type's resources and start options, then
    /// <c>--autoscaling-config</c>), parsed.</summary>
    /// <exception cref="CliException">Exit code 2: <c>start</c> cannot parse it. The message is
    /// "FILE:LINE: available_node_types.HEAD.start_options.OPTION: what is wrong" at the first entry <c>start</c> cannot
    /// parse alone (an unknown option, a value of the wrong type), else (entries that only clash together) at the
    /// <c>start_options</c> line.</exception>
    internal static ParseResult ParseHeadStart(ClusterConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        string[] startArguments = ["start", "--head", .. config.HeadType.StartArguments(), "--autoscaling-config", config.FilePath];
        var start = OrleansRayCli.Build().Parse(startArguments);
        if (start.Errors.Count == 0)
        {
            return start;
        }

        foreach (var (option, value) in config.HeadType.StartOptions)
        {
            string[] alone = value is null ? ["start", "--head", "--" + option] : ["start", "--head", "--" + option, value];
            var single = OrleansRayCli.Build().Parse(alone);
            if (single.Errors.Count > 0)
            {
                throw CliException.Usage(config.StartOptionError(config.HeadType, option, ParseErrors.Describe(single)).Message);
            }
        }

        throw CliException.Usage(config.StartOptionError(config.HeadType, null, ParseErrors.Describe(start)).Message);
    }

    /// <summary>The head type's start option a <c>start</c> error is about: the one its message begins with
    /// ("--port 70000: a TCP port is 1-65535."); null when it begins with none of them.</summary>
    internal static string? HeadStartOptionNamedBy(ClusterConfig config, string message)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(message);
        return config.HeadType.StartOptions.Select(o => o.Key).FirstOrDefault(option =>
            message.StartsWith("--" + option, StringComparison.Ordinal)
            && (message.Length == option.Length + 2 || message[option.Length + 2] is ' ' or ':' or ','));
    }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var paths = CliPaths.Current;
        var config = LoadConfig(parse.GetValue(_config)!);
        var console = ConsoleOutput.Create();
        var recordFile = ClusterRecord.FileOf(paths, config.ClusterName);
        if (ClusterRecord.TryRead(recordFile) is { } existing)
        {
            using var running = NodeProcesses.TryGetProcess(existing.HeadPid, existing.HeadStart);
            if (running is not null)
            {
                console.MarkupLine(Markup.Escape($"Cluster '{config.ClusterName}' is already up: head at {existing.Address} (pid {existing.HeadPid.ToString(CultureInfo.InvariantCulture)}){(existing.DashboardUrl is { } url ? ", dashboard " + url : string.Empty)}. `orleansray down {config.FilePath}` stops it."));
                return 0;
            }
        }

        // The head is `orleansray start --head` with the head type's options: the same checks, output and token; a
        // check that refuses one of those options names the config file and the entry's line.
        var start = ParseHeadStart(config);
        int code;
        try
        {
            code = await start.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null }, cancellationToken).ConfigureAwait(false);
        }
        catch (CliException ex) when (HeadStartOptionNamedBy(config, ex.Message) is { } option)
        {
            throw new CliException(config.StartOptionError(config.HeadType, option, ex.Message).Message, ex.ExitCode, ex);
        }

        if (code != 0)
        {
            return code;
        }

        var address = paths.ReadAddress() ?? throw new CliException($"the head started but wrote no address file ({paths.AddressFile}); see its log under {paths.LatestSession}.");
        var head = paths.PidFiles().Select(NodeRecord.TryRead).FirstOrDefault(r => r is { IsHead: true } && r.Address == address)
            ?? throw new CliException($"the head at {address} started but its pid file is missing; see its log under {paths.LatestSession}.");
        var record = new ClusterRecord(config.ClusterName, config.FilePath, head.Pid, head.ProcessStart, head.Address, head.Session, head.DashboardUrl);
        CliPaths.WriteAtomically(recordFile, record.ToJson());

        // Up means answering: a client connects and the autoscaler has reported its first round.
        var insecure = config.HeadType.StartOptions.Any(o => o.Key == "insecure" && o.Value is null);
        var token = insecure ? null : AuthTokens.Find(null, paths);
        await using (var cluster = await ClusterClient.ConnectAsync("--address", address, () => token is { } t ? AuthTokens.Parse(t.Token, t.Source) : null, cancellationToken).ConfigureAwait(false))
        {
            var deadline = DateTime.UtcNow + FirstRoundDeadline;
            while (await cluster.Client.GetGrain<IAutoscalerGrain>(0).StatusAsync().WaitAsync(cancellationToken).ConfigureAwait(false) is null)
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new CliException($"the head at {address} is up but its autoscaler reported nothing within {FirstRoundDeadline.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s; see the head's log {head.LogFile}, and `orleansray down {config.FilePath}` to stop it.");
                }

                await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken).ConfigureAwait(false);
            }
        }

        console.WriteLine();
        console.MarkupLine(Markup.Escape($"Cluster '{config.ClusterName}' is up (config {config.FilePath})."));
        new LabelledLines()
            .Add("Address", address)
            .Add("Dashboard", head.DashboardUrl ?? "(none)")
            .Add("Autoscaler", Describe(config))
            .Add("Logs", Path.Combine(head.Session, "logs") + " (the head's and the workers')")
            .WriteTo(console);
        console.MarkupLine("  `orleansray status` shows the nodes, Pending (launching) and Recent failures;");
        console.MarkupLine(Markup.Escape($"  `orleansray down {config.FilePath}` stops the workers and the head."));
        return 0;
    }

    private static string Describe(ClusterConfig config)
    {
        var types = string.Join(", ", config.WorkerTypes.Select(t => string.Create(CultureInfo.InvariantCulture, $"'{t.Name}' {t.Resources} x {t.MinWorkers}..{t.MaxWorkers}")));
        return string.Create(CultureInfo.InvariantCulture, $"{config.Provider.Type} provider; {(types.Length == 0 ? "no worker types" : types)}; max_workers {config.MaxWorkers}, idle_timeout_minutes {config.IdleTimeout.TotalMinutes:0.###}");
    }
}
