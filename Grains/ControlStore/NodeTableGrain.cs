using Orleans.Runtime;
using OrleansRay.Grains;

namespace OrleansRay.ControlStore;

/// <summary>The node table: the last report of every node, alive or dead, and the pending demands drivers hold.</summary>
/// <remarks>
/// Liveness is Orleans membership's verdict, not the report's age: a node whose silo membership declared dead is shown
/// dead at once (the probe settings in MembershipTuning bound that to a few seconds), and a node that stopped cleanly
/// marked itself dead. Lives on the head (<see cref="HeadPlacementAttribute"/>), with the rest of the control store.
/// </remarks>
[HeadPlacement]
[KeepAlive]
[GrainType("orleansray.nodetable")] // not Orleans' default "nodetable": an application grain class of that name would clash (hosting)
internal sealed class NodeTableGrain : Grain, INodeTableGrain
{
    private readonly IPersistentState<NodeTableState> _state;
    private readonly Orleans.Serialization.Serializer _serializer;
    /// <summary>A driver's demands are dropped when it has not reported for this long (it exited).</summary>
    private static readonly TimeSpan DriverDemandsExpiry = TimeSpan.FromSeconds(5);

    /// <summary>A row no membership knows of is dead once its last report is this old.</summary>
    private static readonly TimeSpan UnknownRowExpiry = TimeSpan.FromSeconds(10);

    /// <summary>A pending group reports every round (500 ms): one silent for this long was removed or its head left.</summary>
    private static readonly TimeSpan PendingGroupExpiry = TimeSpan.FromSeconds(5);

    private readonly Dictionary<Guid, (DateTimeOffset At, PendingPlacementGroupInfo Group)> _pendingGroups = new();
    private readonly Dictionary<NodeId, NodeStatus> _nodes = new();
    private readonly Dictionary<WorkerId, (DateTimeOffset At, long View, ResourceDemandInfo[] Demands)> _driverDemands = new();

    /// <summary>Each driver's last exchange: when (for <see cref="DriversSeenAsync"/>) and its number in
    /// <see cref="_exchanges"/> (the rows it read then are the view its next report's demands were computed against).</summary>
    private readonly Dictionary<WorkerId, (DateTimeOffset Seen, long View)> _drivers = new();

    /// <summary>Each node's last exchange (its number in <see cref="_exchanges"/>) and the view its current row's demands
    /// count as computed against: for a row an exchange brought, the node's exchange before that one; a row from
    /// <see cref="ReportAsync"/> keeps the view of the row before it.</summary>
    private readonly Dictionary<NodeId, (long Exchange, long RowView)> _nodeViews = new();

    /// <summary>Counts exchanges and joins, so "this view was read before that node joined" is exact.</summary>
    private long _exchanges;

    /// <summary>The number (in <see cref="_exchanges"/>) of the newest node row that appeared.</summary>
    private long _lastJoin;
    private readonly IClusterMembershipService _membership;
    private readonly NodeId _self;

    public NodeTableGrain(
        IClusterMembershipService membership,
        ILocalSiloDetails silo,
        [PersistentState("nodes", ControlStoreStorage.Name)] IPersistentState<NodeTableState> state,
        Orleans.Serialization.Serializer serializer)
    {
        _membership = membership;
        _self = new NodeId(silo.SiloAddress.ToParsableString());
        _state = state;
        _serializer = serializer;
    }

    /// <summary>Rows survive a re-activation (Orleans deactivates a grain whose directory partition was lost with a
    /// worker): written when a node joins or dies — rare — not at every report.</summary>
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (_state.State.Rows is { Length: > 0 } rows)
        {
            try
            {
                foreach (var row in _serializer.Deserialize<NodeStatus[]>(rows) ?? [])
                {
                    _nodes[row.NodeId] = row;
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // An unreadable snapshot: nodes report again within a second; only dead rows are forgotten.
            }
        }

        return Task.CompletedTask;
    }

    private bool _dirty;

    private async Task SaveIfChangedAsync()
    {
        if (!_dirty)
        {
            return;
        }

        _dirty = false;
        try
        {
            _state.State.Rows = _serializer.SerializeToArray(_nodes.Values.ToArray());
            await _state.WriteStateAsync();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The in-memory table stays authoritative; the next change tries again.
            _dirty = true;
        }
    }

    public Task ReportAsync(NodeStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        // Not an exchange, and made off the refresh loop: the node may not have acted on its last exchange's rows yet,
        // so the row keeps the view its previous row had (_nodeViews is left as it is; its demands show no sooner than
        // the refresh loop's would).
        Record(status);
        return Task.CompletedTask;
    }

    public async Task<IReadOnlyList<NodeStatus>> ExchangeAsync(NodeStatus? self, WorkerId reporter, ResourceDemandInfo[] driverDemands)
    {
        if (self is not null)
        {
            // As for a driver: the row's demands (its queued and parked tasks) were computed against the rows the node
            // read at its previous exchange, before it could spill them to a node that joined since.
            var previous = _nodeViews.GetValueOrDefault(self.NodeId).Exchange;
            Record(self);
            _nodeViews[self.NodeId] = (++_exchanges, previous);
        }
        else
        {
            // The demands were computed against the rows this driver read at its previous exchange (its parked tasks
            // were retried on them). A first report had no view: it counts from the driver's next one.
            var now = DateTimeOffset.UtcNow;
            var exchange = ++_exchanges;
            var view = _drivers.GetValueOrDefault(reporter).View;
            _drivers[reporter] = (now, exchange);
            if (_drivers.Count > 10_000)
            {
                foreach (var stale in _drivers.Where(d => now - d.Value.Seen > TimeSpan.FromHours(1)).Select(d => d.Key).ToList())
                {
                    _drivers.Remove(stale);
                }
            }
            if (driverDemands is { Length: > 0 })
            {
                _driverDemands[reporter] = (now, view, driverDemands);
            }
            else
            {
                _driverDemands.Remove(reporter);
            }
        }

        var rows = await ListAsync();
        await SaveIfChangedAsync();
        return rows;
    }

    public Task<IReadOnlyDictionary<string, DateTimeOffset>> DriversSeenAsync() =>
        Task.FromResult<IReadOnlyDictionary<string, DateTimeOffset>>(_drivers.ToDictionary(d => d.Key.ToString(), d => d.Value.Seen, StringComparer.Ordinal));

    public async Task MarkDeadAsync(NodeId nodeId)
    {
        if (_nodes.TryGetValue(nodeId, out var status))
        {
            _nodes[nodeId] = status with { IsAlive = false };
            _dirty = true;
            await SaveIfChangedAsync();
        }
    }

    /// <remarks>A live row's demands are shown only when the node computed them from a view that had the newest node
    /// (as a driver's, see <see cref="DriverDemandsAsync"/>): until its next exchange the node may still spill those
    /// tasks to the new node, and the autoscaler would launch another for them.</remarks>
    /// <summary>This silo: the control store lives on the head (<see cref="HeadPlacementAttribute"/>).</summary>
    public Task<NodeId> HeadAsync() => Task.FromResult(_self);

    public Task<IReadOnlyList<NodeStatus>> ListAsync()
    {
        var snapshot = _membership.CurrentSnapshot;
        var now = DateTimeOffset.UtcNow;
        var rows = new List<NodeStatus>(_nodes.Count);
        foreach (var (id, row) in _nodes.ToList())
        {
            var alive = row.IsAlive && IsAlive(snapshot, id, row, now);
            var shown = !alive ? row with { IsAlive = false, Available = ResourceSet.Empty, Demands = Array.Empty<ResourceDemandInfo>() }
                : row.Demands.Count > 0 && !SawNewestNode(_nodeViews.GetValueOrDefault(id).RowView) ? row with { Demands = Array.Empty<ResourceDemandInfo>() }
                : row;
            if (!alive && row.IsAlive)
            {
                _nodes[id] = row with { IsAlive = false };
                _dirty = true;
            }

            rows.Add(shown);
        }

        return Task.FromResult<IReadOnlyList<NodeStatus>>(rows);
    }

    /// <remarks>A driver's report made from a view older than the newest node's arrival is left out until its next one:
    /// the driver had not yet tried its parked tasks on that node, which may already run them (its row then shows the
    /// resources taken). Counting such a report made the autoscaler launch a second node for a task the first new node
    /// had taken. The next report comes one refresh period later (300 ms).</remarks>
    public Task<IReadOnlyList<ResourceDemandInfo>> DriverDemandsAsync()
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var (driver, (at, _, _)) in _driverDemands.ToList())
        {
            if (now - at > DriverDemandsExpiry)
            {
                _driverDemands.Remove(driver);
            }
        }

        return Task.FromResult<IReadOnlyList<ResourceDemandInfo>>(_driverDemands.Values.Where(d => SawNewestNode(d.View)).SelectMany(d => d.Demands).ToList());
    }

    public Task ReportPendingGroupAsync(Guid id, PendingPlacementGroupInfo? pending)
    {
        if (pending is null)
        {
            _pendingGroups.Remove(id);
        }
        else
        {
            _pendingGroups[id] = (DateTimeOffset.UtcNow, pending);
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<PendingPlacementGroupInfo>> PendingGroupsAsync()
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var (id, (at, _)) in _pendingGroups.ToList())
        {
            if (now - at > PendingGroupExpiry)
            {
                _pendingGroups.Remove(id);
            }
        }

        return Task.FromResult<IReadOnlyList<PendingPlacementGroupInfo>>(_pendingGroups.Values.Select(p => p.Group).ToList());
    }

    /// <summary>True when rows read at exchange <paramref name="view"/> already had the newest node: the one rule for a
    /// driver's reports and a node's rows.</summary>
    private bool SawNewestNode(long view) => view > _lastJoin;

    private void Record(NodeStatus status)
    {
        // A report from a node already declared dead (a late message) does not bring it back.
        if (_nodes.TryGetValue(status.NodeId, out var known) && !known.IsAlive && status.IsAlive)
        {
            return;
        }

        if (known is null || known.IsAlive != status.IsAlive)
        {
            _dirty = true;
        }

        if (known is null && status.IsAlive)
        {
            _lastJoin = ++_exchanges;
        }

        _nodes[status.NodeId] = status;
    }

    private static bool IsAlive(ClusterMembershipSnapshot snapshot, NodeId id, NodeStatus row, DateTimeOffset now)
    {
        if (id.TryGetSilo() is not { } silo)
        {
            return now - row.ReportedAt < UnknownRowExpiry;
        }

        return snapshot.GetSiloStatus(silo) switch
        {
            SiloStatus.Dead or SiloStatus.ShuttingDown or SiloStatus.Stopping => false,
            SiloStatus.None => now - row.ReportedAt < UnknownRowExpiry,
            _ => true,
        };
    }
}

/// <summary>The persisted node rows (Orleans-serialized).</summary>
[GenerateSerializer, Alias("orleansray.nodetablestate")]
public sealed class NodeTableState
{
    [Id(0)] public byte[]? Rows { get; set; }
}
