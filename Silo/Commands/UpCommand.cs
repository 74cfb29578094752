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

        // The head is `orleansray start --head` with the head type's options: the same checks, output and token.
        string[] startArguments = ["start", "--head", .. config.HeadType.StartArguments(), "--autoscaling-config", config.FilePath];
        var start = OrleansRayCli.Build().Parse(startArguments);
        if (start.Errors.Count > 0)
        {
            throw CliException.Usage($"{config.FilePath}: available_node_types.{config.HeadNodeType}.start_options: {ParseErrors.Describe(start)}");
        }

        var code = await start.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null }, cancellationToken).ConfigureAwait(false);
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
