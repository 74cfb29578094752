using System.CommandLine;
using System.Globalization;
using OrleansRay.Silo.Cli;
using OrleansRay.Silo.Dashboard;
using Spectre.Console;

namespace OrleansRay.Silo.Commands;

/// <summary><c>orleansray status</c>: the cluster's nodes, resource usage and pending demands, in Ray's layout.</summary>
internal sealed class StatusCommand : Command
{
    private readonly Option<string?> _address = new("--address") { Description = "The cluster's client address HOST:PORT. Default: $ORLEANSRAY_ADDRESS when it is a HOST:PORT, else the address file of the cluster started on this machine." };
    private readonly Option<string?> _authToken = AuthTokens.TokenOption();
    private readonly Option<bool> _insecure = AuthTokens.InsecureOption(AuthTokens.InsecureClientHelp);

    public StatusCommand()
        : base("status", "Show the cluster's nodes (alive, dead), resource usage (used/total) and pending demands.")
    {
        Options.Add(_address);
        Options.Add(_authToken);
        Options.Add(_insecure);
        SetAction(RunAsync);
    }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var paths = CliPaths.Current;
        var address = ClusterClient.ResolveGatewayAddress(parse.GetValue(_address), paths, out var source);
        await using var cluster = await ClusterClient.ConnectAsync(source, address, () => AuthTokens.ForClient(parse, _authToken, _insecure, CliPaths.Current), cancellationToken).ConfigureAwait(false);
        // The dashboard's /api/cluster builds the same snapshot: the two always agree.
        var snapshot = await ClusterSnapshot.BuildAsync(cluster.Client, DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false);
        Render(ConsoleOutput.Create(), address, paths, snapshot);
        return 0;
    }

    internal static void Render(IAnsiConsole console, string address, CliPaths paths, ClusterSnapshot snapshot)
    {
        var rule = new string('-', 63);
        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"======== Cluster status: {snapshot.GeneratedAt.ToLocalTime():yyyy-MM-dd HH:mm:ss} ========"));
        console.WriteLine($"Address: {address}");
        // The log folder of the node whose cluster this is (the head, by the address file), not session_latest: with
        // several heads on this machine, or a worker started after the head, that is another node's.
        if (paths.RunningNodeAt(address) is { } reported)
        {
            console.WriteLine($"Logs: {Path.Combine(reported.Session, "logs")} (the {(reported.IsHead ? "head" : "node")} at {address})");
        }
        else if (Directory.Exists(paths.LatestSession))
        {
            console.WriteLine($"Logs: {Path.Combine(paths.LatestSession, "logs")} (the newest session here: no node at {address} runs on this machine, so its own log folder is not known)");
        }

        console.WriteLine();
        console.WriteLine("Node status");
        console.WriteLine(rule);
        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Active: {snapshot.AliveCount} node(s)    Dead: {snapshot.DeadCount} node(s)"));
        var table = new Table().Border(ConsoleOutput.Border)
            .AddColumn("Node").AddColumn("Address").AddColumn("State").AddColumn("Resources").AddColumn("Last report");
        foreach (var node in snapshot.Nodes)
        {
            var state = node.State switch
            {
                "DEAD" => "[red]DEAD[/]",
                "STALE" => "[yellow]ALIVE (stale)[/]",
                _ => "[green]ALIVE[/]",
            };
            // Named as `list nodes`, `stop` and `down` name it: the node id, and the client address with "(head)" on the head.
            table.AddRow(
                Markup.Escape(node.NodeId),
                Markup.Escape(node.IsHeadNode ? node.Address + " (head)" : node.Address),
                state,
                Markup.Escape(node.Resources),
                Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"{node.LastReportSeconds:0.0} s ago")));
        }

        if (snapshot.Nodes.Count == 0)
        {
            console.WriteLine(" (no nodes reported yet)");
        }
        else
        {
            console.Write(table);
        }

        if (snapshot.Autoscaler is { } autoscaler)
        {
            RenderAutoscaler(console, snapshot.GeneratedAt, autoscaler);
        }

        console.WriteLine();
        console.WriteLine("Resources");
        console.WriteLine(rule);
        console.WriteLine("Usage:");
        if (snapshot.Total.Count == 0)
        {
            console.WriteLine(" (no resources)");
        }

        foreach (var usage in snapshot.Total)
        {
            console.WriteLine(" " + usage.Text);
        }

        console.WriteLine();
        console.WriteLine("Demands:");
        if (snapshot.Demands.Count == 0 && snapshot.PendingGroups.Count == 0)
        {
            console.WriteLine(" (no resource demands)");
        }

        foreach (var demand in snapshot.Demands)
        {
            var what = demand.IsActor ? "pending actors" : "pending tasks";
            var infeasible = demand.IsInfeasible ? " (infeasible: no node has these resources)" : string.Empty;
            console.WriteLine(string.Create(CultureInfo.InvariantCulture, $" {demand.Shape}: {demand.Count}+ {what}{infeasible}"));
        }

        foreach (var group in snapshot.PendingGroups)
        {
            var infeasible = group.IsInfeasible ? " (infeasible: the live nodes cannot hold all its bundles)" : string.Empty;
            console.WriteLine(string.Create(CultureInfo.InvariantCulture, $" {group.Shape} ({group.Strategy}): {group.Count}+ pending placement groups{infeasible}"));
        }

        if (snapshot.Autoscaler is { } scaler)
        {
            // What the autoscaler makes of the demands: judged against the config's node types, not only the live nodes.
            if (scaler.Infeasible.Count > 0)
            {
                console.WriteLine();
                console.WriteLine("Infeasible for the autoscaler (no node type has these resources; nothing is launched):");
                foreach (var line in scaler.Infeasible)
                {
                    console.WriteLine(" " + line);
                }
            }

            if (scaler.Waiting.Count > 0)
            {
                console.WriteLine();
                console.WriteLine("Waiting for a limit:");
                foreach (var line in scaler.Waiting)
                {
                    console.WriteLine(" " + line);
                }
            }
        }
    }

    /// <summary>Ray's autoscaler sections of the node status: Pending (nodes launching, with their type) and Recent
    /// failures (nodes that failed to start or stopped on their own, with the reason), then the last decisions.</summary>
    private static void RenderAutoscaler(IAnsiConsole console, DateTimeOffset now, Grains.AutoscalerStatus autoscaler)
    {
        static string Ago(DateTimeOffset now, DateTimeOffset then) => string.Create(CultureInfo.InvariantCulture, $"{Math.Max(0, (now - then).TotalSeconds):0.0} s");
        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Autoscaler: cluster '{autoscaler.ClusterName}', last round {Ago(now, autoscaler.ReportedAt)} ago"));
        console.WriteLine("Pending:");
        if (autoscaler.Pending.Count == 0)
        {
            console.WriteLine(" (no pending nodes)");
        }

        foreach (var node in autoscaler.Pending)
        {
            console.WriteLine($" {node.NodeType}: launching, {node.Address ?? "address not known yet"} (id {node.ProviderId}, for {Ago(now, node.Since)})");
        }

        console.WriteLine("Recent failures:");
        if (autoscaler.RecentFailures.Count == 0)
        {
            console.WriteLine(" (no failures)");
        }

        foreach (var node in autoscaler.RecentFailures)
        {
            console.WriteLine($" {node.NodeType}: {node.FailureReason} (id {node.ProviderId}, {Ago(now, node.Since)} ago)");
        }

        if (autoscaler.RecentDecisions.Count > 0)
        {
            console.WriteLine("Recent decisions (newest first):");
            foreach (var decision in autoscaler.RecentDecisions.Take(5))
            {
                console.WriteLine(" " + decision);
            }
        }
    }
}
