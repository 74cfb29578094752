using System.CommandLine;
using System.Globalization;
using Orleans.Runtime;
using OrleansRay.Grains;
using OrleansRay.Silo.Cli;
using Spectre.Console;

namespace OrleansRay.Silo.Commands;

/// <summary><c>orleansray status</c>: the cluster's nodes, resource usage and pending demands, in Ray's layout.</summary>
internal sealed class StatusCommand : Command
{
    /// <summary>A node that has not reported for this long is shown as stale: it reports every second.</summary>
    private static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(5);

    private readonly Option<string?> _address = new("--address") { Description = "The cluster's client address HOST:PORT. Default: the address file of the cluster started on this machine." };

    public StatusCommand()
        : base("status", "Show the cluster's nodes (alive, dead), resource usage (used/total) and pending demands.")
    {
        Options.Add(_address);
        SetAction(RunAsync);
    }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var paths = CliPaths.Current;
        var address = parse.GetValue(_address) ?? paths.ReadAddress()
            ?? throw new CliException($"no cluster address: give --address HOST:PORT, or start a cluster with `orleansray start --head` (no address file at {paths.AddressFile}).");
        await using var cluster = await ClusterClient.ConnectAsync("--address", address, cancellationToken).ConfigureAwait(false);
        var rows = await cluster.Client.GetGrain<INodeTableGrain>(0).ListAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        var membership = await cluster.Client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: false).WaitAsync(cancellationToken).ConfigureAwait(false);
        var silos = membership.ToDictionary(m => m.Key.ToParsableString(), m => m.Value, StringComparer.Ordinal);
        var nodes = rows
            .Select(r => r with { IsAlive = r.IsAlive && (!silos.TryGetValue(r.NodeId.Value ?? string.Empty, out var s) || s == SiloStatus.Active) })
            .OrderByDescending(r => r.IsAlive).ThenBy(r => r.Address, StringComparer.Ordinal)
            .ToList();
        Render(ConsoleOutput.Create(), address, paths, nodes, DateTimeOffset.UtcNow);
        return 0;
    }

    internal static void Render(IAnsiConsole console, string address, CliPaths paths, IReadOnlyList<NodeStatus> nodes, DateTimeOffset now)
    {
        var rule = new string('-', 63);
        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"======== Cluster status: {now.ToLocalTime():yyyy-MM-dd HH:mm:ss} ========"));
        console.WriteLine($"Address: {address}");
        if (Directory.Exists(paths.LatestSession))
        {
            console.WriteLine($"Logs: {Path.Combine(paths.LatestSession, "logs")} (nodes started on this machine)");
        }

        console.WriteLine();
        console.WriteLine("Node status");
        console.WriteLine(rule);
        var alive = nodes.Count(n => n.IsAlive);
        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Active: {alive} node(s)    Dead: {nodes.Count - alive} node(s)"));
        var table = new Table().Border(ConsoleOutput.Border)
            .AddColumn("Node").AddColumn("State").AddColumn("Resources").AddColumn("Last report");
        foreach (var node in nodes)
        {
            var age = now - node.ReportedAt;
            var state = !node.IsAlive ? "[red]DEAD[/]" : age > StaleAfter ? "[yellow]ALIVE (stale)[/]" : "[green]ALIVE[/]";
            table.AddRow(
                Markup.Escape(node.NodeId.Value ?? string.Empty),
                state,
                Markup.Escape(ResourceText.Describe(node.Total)),
                Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"{Math.Max(0, age.TotalSeconds):0.0} s ago")));
        }

        if (nodes.Count == 0)
        {
            console.WriteLine(" (no nodes reported yet)");
        }
        else
        {
            console.Write(table);
        }

        console.WriteLine();
        console.WriteLine("Resources");
        console.WriteLine(rule);
        console.WriteLine("Usage:");
        var live = nodes.Where(n => n.IsAlive).ToList();
        var totals = Sum(live.Select(n => n.Total));
        var available = Sum(live.Select(n => n.Available));
        if (totals.Count == 0)
        {
            console.WriteLine(" (no resources)");
        }

        foreach (var (name, total) in ResourceText.Ordered(totals))
        {
            var used = Math.Max(0, total - available.GetValueOrDefault(name));
            console.WriteLine(" " + ResourceText.Usage(name, used, total));
        }

        console.WriteLine();
        console.WriteLine("Demands:");
        var demands = live.SelectMany(n => n.Demands)
            .GroupBy(d => (d.Shape, d.IsActor, d.IsInfeasible))
            .Select(g => (g.Key.Shape, g.Key.IsActor, g.Key.IsInfeasible, Count: g.Sum(d => d.Count)))
            .OrderBy(d => d.IsInfeasible).ThenByDescending(d => d.Count)
            .ToList();
        if (demands.Count == 0)
        {
            console.WriteLine(" (no resource demands)");
        }

        foreach (var demand in demands)
        {
            var what = demand.IsActor ? "pending actors" : "pending tasks";
            var infeasible = demand.IsInfeasible ? " (infeasible: no node has these resources)" : string.Empty;
            console.WriteLine(string.Create(CultureInfo.InvariantCulture, $" {demand.Shape}: {demand.Count}+ {what}{infeasible}"));
        }
    }

    private static Dictionary<string, double> Sum(IEnumerable<ResourceSet> sets)
    {
        var sum = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var set in sets)
        {
            foreach (var (name, amount) in set.Items)
            {
                sum[name] = sum.GetValueOrDefault(name) + amount;
            }
        }

        return sum;
    }
}
