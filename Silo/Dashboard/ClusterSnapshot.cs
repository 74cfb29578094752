using System.Globalization;
using Orleans.Runtime;
using OrleansRay.Grains;
using OrleansRay.Silo.Cli;

namespace OrleansRay.Silo.Dashboard;

/// <summary>The cluster as <c>orleansray status</c> and the dashboard's Cluster page show it: nodes, usage, demands.</summary>
/// <remarks>Both read it through <see cref="BuildAsync"/>, so they always agree. Serialized as-is by <c>/api/cluster</c>.
/// <c>Autoscaler</c> is the autoscaler loop's last round (Pending, Recent failures), null when the head runs none.</remarks>
internal sealed record ClusterSnapshot(
    DateTimeOffset GeneratedAt,
    IReadOnlyList<ClusterSnapshot.Node> Nodes,
    int AliveCount,
    int DeadCount,
    IReadOnlyList<ClusterSnapshot.Usage> Total,
    IReadOnlyList<ClusterSnapshot.Demand> Demands,
    IReadOnlyList<ClusterSnapshot.GroupDemand> PendingGroups,
    AutoscalerStatus? Autoscaler = null)
{
    /// <summary>A node that has not reported for this long is shown as stale: it reports every second.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(5);

    /// <summary>Reads the node table and membership through <paramref name="grains"/> (a silo's or a client's).</summary>
    public static async Task<ClusterSnapshot> BuildAsync(IGrainFactory grains, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var table = grains.GetGrain<INodeTableGrain>(0);
        var rowsTask = table.ListAsync().WaitAsync(cancellationToken);
        var driverDemandsTask = table.DriverDemandsAsync().WaitAsync(cancellationToken);
        var pendingGroupsTask = table.PendingGroupsAsync().WaitAsync(cancellationToken);
        var autoscalerTask = grains.GetGrain<IAutoscalerGrain>(0).StatusAsync().WaitAsync(cancellationToken);
        var storesTask = new OrleansRay.Node.ClusterState(grains, null).StoresAsync(cancellationToken);
        var headTask = table.HeadAsync().WaitAsync(cancellationToken);
        var membership = await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: false).WaitAsync(cancellationToken).ConfigureAwait(false);
        var rows = await rowsTask.ConfigureAwait(false);
        var driverDemands = await driverDemandsTask.ConfigureAwait(false);
        var pendingGroups = await pendingGroupsTask.ConfigureAwait(false);
        var silos = membership.ToDictionary(m => m.Key.ToParsableString(), m => m.Value, StringComparer.Ordinal);
        var statuses = rows
            .Select(r => r with { IsAlive = r.IsAlive && (!silos.TryGetValue(r.NodeId.Value ?? string.Empty, out var s) || s == SiloStatus.Active) })
            .OrderByDescending(r => r.IsAlive).ThenBy(r => r.Address, StringComparer.Ordinal)
            .ToList();
        var (stores, _) = await storesTask.ConfigureAwait(false);
        return From(statuses, driverDemands, now, pendingGroups, await headTask.ConfigureAwait(false)).WithStoreUse(stores) with { Autoscaler = await autoscalerTask.ConfigureAwait(false) };
    }

    /// <summary>This snapshot with the object stores' real use as the used part of object_store_memory (Ray's
    /// <c>ray status</c> shows the store's usage): no task reserves that resource, so its total minus its available is
    /// always 0. Unchanged when no store answered.</summary>
    internal ClusterSnapshot WithStoreUse(IReadOnlyList<StoreStateRow> stores)
    {
        ArgumentNullException.ThrowIfNull(stores);
        if (stores.Count == 0)
        {
            return this;
        }

        double used = stores.Sum(s => s.UsedBytes);
        return this with
        {
            Total = Total.Select(u => u.Name == ResourceSet.ObjectStoreMemory
                ? u with { Used = used, Text = ResourceText.Usage(u.Name, used, u.Total) }
                : u).ToList(),
        };
    }

    /// <summary>The snapshot of node table rows whose liveness is already settled, and of the demands connected drivers
    /// hold (tasks they could not place on any live node), and of the placement groups waiting for resources.</summary>
    /// <remarks>A demand is infeasible when no live node's total resources fit its shape, whoever reported it (as
    /// <c>IRay.PendingDemandsAsync</c> decides): a node's own report only knows whether the node itself could run it.</remarks>
    /// <param name="statuses">The node table's rows.</param>
    /// <param name="driverDemands">The demands connected drivers hold.</param>
    /// <param name="now">When the snapshot is taken.</param>
    /// <param name="pendingGroups">The placement groups waiting for resources.</param>
    /// <param name="head">The head's node id (where the control store lives), when known.</param>
    public static ClusterSnapshot From(IReadOnlyList<NodeStatus> statuses, IReadOnlyList<ResourceDemandInfo> driverDemands, DateTimeOffset now, IReadOnlyList<PendingPlacementGroupInfo>? pendingGroups = null, NodeId? head = null)
    {
        ArgumentNullException.ThrowIfNull(statuses);
        ArgumentNullException.ThrowIfNull(driverDemands);
        var isHead = OrleansRay.Node.ClusterState.HeadMarker(statuses, head);
        var nodes = statuses.Select(n =>
        {
            var age = Math.Max(0, (now - n.ReportedAt).TotalSeconds);
            var state = !n.IsAlive ? "DEAD" : age > StaleAfter.TotalSeconds ? "STALE" : "ALIVE";
            // The address as `list nodes` shows it (the gateway, what `start` printed and `stop`/`down` name it by).
            return new Node(n.NodeId.Value ?? string.Empty, OrleansRay.Node.ClusterState.AddressOf(n), n.IsAlive, state, Math.Round(age, 1), UsageOf(n.Total.Items, n.Available.ToDictionary()), ResourceText.Describe(WithoutBundles(n.Total)))
            {
                IsHeadNode = isHead(n),
                ActorCount = n.ActorCount,
                PrimaryObjectCount = n.PrimaryObjectCount,
                RunningTaskCount = n.RunningTaskCount,
            };
        }).ToList();
        var live = statuses.Where(n => n.IsAlive).ToList();
        var totals = Sum(live.Select(n => n.Total));
        var available = Sum(live.Select(n => n.Available));
        var demands = live.SelectMany(n => n.Demands).Concat(driverDemands)
            .GroupBy(d => (d.Shape, d.IsActor))
            .Select(g => new Demand(g.Key.Shape.ToString(), g.Key.Shape.ToDictionary(), g.Sum(d => d.Count), g.Key.IsActor, !live.Any(n => g.Key.Shape.FitsIn(n.Total))))
            .OrderBy(d => d.IsInfeasible).ThenByDescending(d => d.Count)
            .ToList();
        // Ray's status line per group shape: "{'CPU': 1.0} * 5 (PACK): 1+ pending placement groups".
        var groups = (pendingGroups ?? [])
            .GroupBy(g => (Shape: GroupShape(g.Spec), Strategy: StrategyName(g.Spec.Strategy), g.IsInfeasible))
            .Select(g => new GroupDemand(g.Key.Shape, g.Key.Strategy, g.Count(), g.Key.IsInfeasible, g.Select(p => p.Id.ToString("N")).Order(StringComparer.Ordinal).ToList(), g.First().Reason))
            .OrderByDescending(d => d.IsInfeasible).ThenBy(d => d.Shape, StringComparer.Ordinal)
            .ToList();
        return new ClusterSnapshot(now, nodes, live.Count, statuses.Count - live.Count, UsageOf(totals, available), demands, groups);
    }

    /// <summary>A group's bundles as Ray's status writes them: each distinct shape with its count, e.g. <c>{"CPU": 1.0} * 5</c>.</summary>
    private static string GroupShape(PlacementGroupSpec spec) =>
        string.Join(", ", spec.Bundles.GroupBy(b => b.ToString(), StringComparer.Ordinal).Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Key} * {g.Count()}")));

    /// <summary>Ray's strategy names: PACK, SPREAD, STRICT_PACK, STRICT_SPREAD.</summary>
    internal static string StrategyName(PlacementGroupStrategy strategy) => strategy switch
    {
        PlacementGroupStrategy.Spread => "SPREAD",
        PlacementGroupStrategy.StrictPack => "STRICT_PACK",
        PlacementGroupStrategy.StrictSpread => "STRICT_SPREAD",
        _ => "PACK",
    };

    /// <summary><paramref name="resources"/> without placement-group bundle resources (<c>CPU_group_0_{pg}</c>,
    /// <c>CPU_group_{pg}</c>): as Ray's <c>ray status</c>, which lists them only with <c>--verbose</c>. A bundle's
    /// reservation still shows, as used node resources.</summary>
    internal static ResourceSet WithoutBundles(ResourceSet resources) =>
        resources.Items.Any(i => IsBundle(i.Key)) ? ResourceSet.From(resources.Items.Where(i => !IsBundle(i.Key))) : resources;

    private static bool IsBundle(string name) => OrleansRay.Scheduling.BundleKey.TryParse(name, out _, out _);

    private static List<Usage> UsageOf(IEnumerable<KeyValuePair<string, double>> totals, IReadOnlyDictionary<string, double> available) =>
        ResourceText.Ordered(totals.Where(t => !IsBundle(t.Key)))
            .Select(t =>
            {
                var used = Math.Max(0, t.Value - available.GetValueOrDefault(t.Key));
                return new Usage(t.Key, used, t.Value, ResourceText.IsBytes(t.Key), ResourceText.Usage(t.Key, used, t.Value));
            })
            .ToList();

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

    /// <summary>One node's row. <paramref name="State"/> is ALIVE, STALE (no report for 5 s) or DEAD.
    /// <paramref name="Address"/> is its client address "HOST:PORT" (<see cref="OrleansRay.Node.ClusterState.AddressOf"/>),
    /// as <c>list nodes</c> shows it.</summary>
    internal sealed record Node(string NodeId, string Address, bool IsAlive, string State, double LastReportSeconds, IReadOnlyList<Usage> Usage, string Resources)
    {
        /// <summary>True for the head node (Ray's <c>is_head_node</c>).</summary>
        public bool IsHeadNode { get; init; }

        /// <summary>Actors alive on the node (<see cref="NodeStatus.ActorCount"/>).</summary>
        public int ActorCount { get; init; }

        /// <summary>Primary copies in the node's object store (<see cref="NodeStatus.PrimaryObjectCount"/>).</summary>
        public int PrimaryObjectCount { get; init; }

        /// <summary>Tasks executing on the node, 0-resource ones included (<see cref="NodeStatus.RunningTaskCount"/>).</summary>
        public int RunningTaskCount { get; init; }
    }

    /// <summary>One resource's usage; <paramref name="Text"/> is status's line ("1.0/3.0 CPU").</summary>
    internal sealed record Usage(string Name, double Used, double Total, bool IsBytes, string Text);

    /// <summary>Pending work of one shape, summed over live nodes and connected drivers; infeasible when no live node
    /// could ever fit it.</summary>
    internal sealed record Demand(string Shape, IReadOnlyDictionary<string, double> Resources, int Count, bool IsActor, bool IsInfeasible);

    /// <summary>Placement groups of one shape and strategy waiting for resources (Ray's "pending placement groups");
    /// infeasible when the live nodes could not hold a whole group even if they were empty. <paramref name="Reason"/> is
    /// the last placement round's, of one of them.</summary>
    internal sealed record GroupDemand(string Shape, string Strategy, int Count, bool IsInfeasible, IReadOnlyList<string> PlacementGroupIds, string Reason);
}
