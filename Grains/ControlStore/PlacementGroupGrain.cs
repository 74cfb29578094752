using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Serialization;
using OrleansRay.Grains;

namespace OrleansRay.ControlStore;

/// <summary>One placement group (Ray's GCS placement-group manager, for one group): plans its bundles over the live nodes
/// by its strategy, reserves them on those nodes all or none, retries while they do not fit, re-reserves the bundles of
/// a node that died, and on removal has every live node end the group's tasks and actors and free its bundles. A group
/// that is not detached removes itself so when the job that created it ends (<see cref="PlacementGroupJob"/>). Lives on
/// the head with the rest of the control store.</summary>
/// <remarks>
/// <para>A reservation is atomic per node (the node's scheduler takes a node's bundles all or none); across nodes the
/// grain makes it atomic: when any node refuses (its free resources changed since the node table's view), the nodes
/// that accepted are released before the group goes back to waiting, so a pending group never holds part of the cluster.
/// The calls to the nodes are <see cref="PlacementGroupReservations"/>'s; the decisions stay here.
/// While not every bundle is held, a grain timer retries every <see cref="RetryPeriod"/>; once created, the same timer
/// watches the nodes that hold its bundles.</para>
/// <para>Orleans deactivates an activation when the silo owning its grain-directory entry leaves, even though the
/// activation lives on the head. The group's row is therefore written through to the control store's grain storage on
/// every change, and a group that is not removed calls itself after such a deactivation, so a new activation reads
/// the row back and its timer keeps placing and watching the bundles.</para>
/// </remarks>
[HeadPlacement]
[GrainType("orleansray.placementgroup")] // not Orleans' default "placementgroup": an application grain class of that name would clash (hosting)
internal sealed partial class PlacementGroupGrain : Grain, IPlacementGroupGrain
{
    /// <summary>How often a pending group tries again, and a created one checks its nodes: about the node table's own
    /// refresh (300 ms), so a freed node is used within a second and a retry costs one local grain call.</summary>
    public static readonly TimeSpan RetryPeriod = TimeSpan.FromMilliseconds(500);

    private readonly IPersistentState<PlacementGroupStoredState> _stored;
    private readonly Serializer _serializer;
    private readonly IClusterMembershipService _membership;
    private readonly ILogger<PlacementGroupGrain> _logger;
    private readonly PlacementGroupReservations _reservations;
    private readonly PendingGroupReport _pendingReport;
    private readonly PlacementGroupJob _job;

    /// <summary>The nodes that may hold a bundle of this group (every node sent a reservation whose release is not
    /// confirmed), so a removal also reaches a node whose refusal or release got lost.</summary>
    private readonly HashSet<NodeId> _touched = new();

    private PlacementGroupSpec? _spec;
    private PlacementGroupState _state;
    private NodeId[] _bundleNodes = Array.Empty<NodeId>();
    private string? _pendingReason;
    private bool _infeasible;
    private PlacementGroupRow? _written;
    private IGrainTimer? _timer;

    public PlacementGroupGrain(
        [PersistentState("placementgroup", ControlStoreStorage.Name)] IPersistentState<PlacementGroupStoredState> stored,
        Serializer serializer,
        IClusterMembershipService membership,
        ILogger<PlacementGroupGrain> logger)
    {
        _stored = stored;
        _serializer = serializer;
        _membership = membership;
        _logger = logger;
        _reservations = new PlacementGroupReservations(this.GetPrimaryKey(), logger);
        _pendingReport = new PendingGroupReport(this.GetPrimaryKey());
        _job = new PlacementGroupJob(this.GetPrimaryKey(), logger);
    }

    private Guid Id => this.GetPrimaryKey();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (_stored.State.Row is { Length: > 0 } bytes)
        {
            try
            {
                var row = _serializer.Deserialize<PlacementGroupRow>(bytes)
                    ?? throw new InvalidDataException("the stored row is empty");
                _spec = row.Spec;
                _state = row.State;
                _bundleNodes = row.BundleNodes.ToArray();
                _touched.UnionWith(row.Touched);
                _written = row;
                LogRestored(_logger, Id, _state);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogUnreadable(_logger, Id, ex.Message);
            }
        }

        if (_spec is not null && _state != PlacementGroupState.Removed)
        {
            StartTimer();
        }

        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_spec is not null && _state != PlacementGroupState.Removed && reason.ReasonCode != DeactivationReasonCode.ShuttingDown)
        {
            // Nothing else calls a group nobody waits on: call it from outside this activation, so a new one reads the
            // row back and goes on placing and watching the bundles.
            LogReviving(_logger, Id, reason.ReasonCode, reason.Description);
            var factory = GrainFactory;
            var id = Id;
            _ = Task.Run(() => ReviveAsync(factory, id, _logger));
        }

        return Task.CompletedTask;
    }

    public async Task<PlacementGroupInfo> CreateAsync(PlacementGroupSpec spec)
    {
        PlacementGroupSpecs.Validate(spec);
        if (_spec is not null)
        {
            if (!PlacementGroupSpecs.Same(_spec, spec))
            {
                throw new ArgumentException($"Placement group {Id:N} already exists with another spec.", nameof(spec));
            }

            return Info();
        }

        await PlacementGroupNames.ClaimAsync(GrainFactory, Id, spec); // before the group exists: a refused name leaves none
        _spec = spec;
        _state = PlacementGroupState.Pending;
        _bundleNodes = new NodeId[spec.Bundles.Length];
        var bundles = string.Join(", ", spec.Bundles.Select(b => b.ToString()));
        if (spec.Name is { Length: > 0 } name)
        {
            LogCreatedNamed(_logger, Id, name, spec.Strategy, bundles);
        }
        else
        {
            LogCreated(_logger, Id, spec.Strategy, bundles);
        }
        await SaveAsync();
        await PlaceAsync();
        StartTimer();
        await ReportPendingAsync();
        return Info();
    }

    public Task<PlacementGroupInfo?> GetAsync() => Task.FromResult(_spec is null ? null : Info());

    public async Task RemoveAsync()
    {
        if (_spec is null || _state == PlacementGroupState.Removed)
        {
            return;
        }

        _state = PlacementGroupState.Removed;
        _pendingReason = null;
        _timer?.Dispose();
        _timer = null;
        // Every live node, not only those holding bundles: any may hold the group's work (queued tasks, actors that ask
        // for nothing) or be sent some later, and each ends it, refuses more, and frees its bundles once their tenants are gone.
        var (_, live) = await NodesAsync();
        await Task.WhenAll(live.Select(n => _reservations.RemoveAsync(n.Key, n.Value.Endpoint!)));
        _touched.Clear();
        Array.Fill(_bundleNodes, default);
        LogRemoved(_logger, Id);

        // Nothing is left to keep: drop the row, and the activation once idle (a later lookup finds no group, which
        // callers read as removed).
        try
        {
            await _stored.ClearStateAsync();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogWriteFailed(_logger, Id, ex.GetType().Name, ex.Message);
        }

        await _pendingReport.ReportAsync(GrainFactory, null);
        await PlacementGroupNames.ReleaseAsync(GrainFactory, Id, _spec, _logger);
        DeactivateOnIdle();
    }

    private void StartTimer()
    {
        _timer ??= this.RegisterGrainTimer(TickAsync, new GrainTimerCreationOptions(RetryPeriod, RetryPeriod) { KeepAlive = true });
    }

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        if (_state == PlacementGroupState.Removed)
        {
            _timer?.Dispose();
            _timer = null;
            return;
        }

        if (await _job.EndedAsync(GrainFactory, _spec!))
        {
            await RemoveAsync(); // Ray's lifetime: a group that is not detached ends with the job that created it
            return;
        }

        try
        {
            await PlaceAsync();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The node table or a node could not be reached this round: the next tick tries again.
            _pendingReason = $"{ex.GetType().Name}: {ex.Message}";
            LogRoundFailed(_logger, Id, ex.GetType().Name, ex.Message);
        }

        await SaveAsync();
        await ReportPendingAsync();
    }

    /// <summary>Tells the node table whether the group waits (status's "pending placement groups").</summary>
    private Task ReportPendingAsync() => _pendingReport.ReportAsync(
        GrainFactory,
        _state == PlacementGroupState.Pending ? new PendingPlacementGroupInfo(Id, _spec!, _infeasible, _pendingReason ?? "waiting for resources") : null);

    /// <summary>One round: forget bundles whose node died, then plan and reserve every bundle not held.</summary>
    private async Task PlaceAsync()
    {
        var spec = _spec!;
        var (rows, live) = await NodesAsync();
        for (var i = 0; i < _bundleNodes.Length; i++)
        {
            var node = _bundleNodes[i];
            if (node.Value is not null && IsGone(node, rows))
            {
                // Ray reschedules the bundles of a dead node; the others stay where they are.
                LogBundleLost(_logger, Id, i, node);
                _bundleNodes[i] = default;
            }
        }

        _touched.RemoveWhere(n => IsGone(n, rows)); // a dead node holds nothing any more
        var toPlace = Enumerable.Range(0, spec.Bundles.Length).Where(i => _bundleNodes[i].Value is null).Select(i => (i, spec.Bundles[i])).ToList();
        if (toPlace.Count == 0)
        {
            SetCreated();
            return;
        }

        _state = PlacementGroupState.Pending;
        _infeasible = false;
        var placed = Enumerable.Range(0, spec.Bundles.Length).Where(i => _bundleNodes[i].Value is not null).ToDictionary(i => i, i => _bundleNodes[i]);
        var rooms = live.Values.Select(r => new BundlePlanner.NodeRoom(r.NodeId, r.Total, r.Available)).ToList();
        var (plan, reason) = BundlePlanner.Plan(spec.Strategy, toPlace, placed, rooms);
        if (plan is null)
        {
            _pendingReason = reason;
            _infeasible = PendingGroupReport.IsInfeasible(spec, live.Values);
            return;
        }

        var byNode = plan.GroupBy(p => p.Value).Select(g => (Node: g.Key, Endpoint: live[g.Key].Endpoint!, Bundles: g.Select(p => new BundleReservation(Id, p.Key, spec.Bundles[p.Key])).OrderBy(b => b.Index).ToArray())).ToList();
        _touched.UnionWith(byNode.Select(n => n.Node));
        await SaveAsync(); // a node may hold bundles from here on: a removal after a deactivation must reach it

        var accepted = await Task.WhenAll(byNode.Select(n => _reservations.ReserveAsync(n.Node, n.Endpoint, n.Bundles)));
        if (accepted.All(a => a))
        {
            foreach (var (index, node) in plan)
            {
                _bundleNodes[index] = node;
            }

            SetCreated();
            return;
        }

        // All or none: give back what the nodes that said yes (or did not answer) took, and wait for the next round.
        var refused = byNode.Where((_, i) => !accepted[i]).Select(n => n.Node.Value).ToList();
        _pendingReason = $"node(s) {string.Join(", ", refused)} had no room for their bundles any more";
        LogRolledBack(_logger, Id, string.Join(", ", refused));
        await Task.WhenAll(byNode.Select(n => UndoAsync(n.Node, n.Endpoint, placed)));
    }

    private void SetCreated()
    {
        if (_state != PlacementGroupState.Created)
        {
            LogPlaced(_logger, Id, string.Join(", ", _bundleNodes.Select((n, i) => $"{i}@{n.Value}")));
        }

        _state = PlacementGroupState.Created;
        _pendingReason = null;
    }

    /// <summary>Undoes one node's part of a failed reservation. A node that already held bundles of this group (Pack and
    /// Spread may add to it) gets those back at once: the release returns the group's whole share on that node.</summary>
    private async Task UndoAsync(NodeId node, INodeEndpoint endpoint, IReadOnlyDictionary<int, NodeId> placed)
    {
        var released = await _reservations.ReleaseAsync(node, endpoint);
        var kept = placed.Where(p => p.Value == node).Select(p => new BundleReservation(Id, p.Key, _spec!.Bundles[p.Key])).ToArray();
        if (kept.Length == 0)
        {
            if (released)
            {
                _touched.Remove(node);
            }

            return;
        }

        if (!await _reservations.ReserveAsync(node, endpoint, kept))
        {
            // Something took the room in between: those bundles are lost too, and the next round places them again.
            foreach (var bundle in kept)
            {
                _bundleNodes[bundle.Index] = default;
            }
        }
    }

    /// <summary>Every row of the node table, and the live nodes that can take reservations.</summary>
    private async Task<(Dictionary<NodeId, NodeStatus> Rows, Dictionary<NodeId, NodeStatus> Live)> NodesAsync()
    {
        var list = await GrainFactory.GetGrain<INodeTableGrain>(0).ListAsync();
        var rows = new Dictionary<NodeId, NodeStatus>();
        var live = new Dictionary<NodeId, NodeStatus>();
        foreach (var row in list)
        {
            rows[row.NodeId] = row;
            if (row.IsAlive && row.Endpoint is not null)
            {
                live[row.NodeId] = row;
            }
        }

        return (rows, live);
    }

    /// <summary>True when <paramref name="node"/> is dead. A node missing from the table is judged by Orleans
    /// membership: the table's own activation may have just started again and not heard from every node yet.</summary>
    private bool IsGone(NodeId node, Dictionary<NodeId, NodeStatus> rows)
    {
        if (rows.TryGetValue(node, out var row))
        {
            return !row.IsAlive;
        }

        if (node.TryGetSilo() is not { } silo)
        {
            return true;
        }

        return _membership.CurrentSnapshot.GetSiloStatus(silo) is SiloStatus.Dead or SiloStatus.ShuttingDown or SiloStatus.Stopping or SiloStatus.None;
    }

    /// <summary>Writes the row through to the control store's storage when it changed since the last write.</summary>
    private async Task SaveAsync()
    {
        if (_spec is null)
        {
            return;
        }

        var row = new PlacementGroupRow(_spec, _state, _bundleNodes.ToArray(), _touched.OrderBy(n => n.Value, StringComparer.Ordinal).ToArray());
        if (_written is not null && _written.State == row.State && _written.BundleNodes.SequenceEqual(row.BundleNodes) && _written.Touched.SequenceEqual(row.Touched))
        {
            return;
        }

        try
        {
            _stored.State.Row = _serializer.SerializeToArray(row);
            await _stored.WriteStateAsync();
            _written = row;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogWriteFailed(_logger, Id, ex.GetType().Name, ex.Message);
        }
    }

    /// <summary>Activates the group again after its activation was deactivated (see the remarks of the class).</summary>
    private static async Task ReviveAsync(IGrainFactory factory, Guid id, ILogger logger)
    {
        for (var attempt = 1; attempt <= 10; attempt++)
        {
            try
            {
                await factory.GetGrain<IPlacementGroupGrain>(id).GetAsync();
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogReviveFailed(logger, id, attempt, ex.GetType().Name, ex.Message);
                await Task.Delay(RetryPeriod * attempt);
            }
        }
    }

    private PlacementGroupInfo Info() => new()
    {
        Id = Id,
        Spec = _spec!,
        State = _state,
        BundleNodes = _bundleNodes.ToArray(),
        PendingReason = _state == PlacementGroupState.Pending ? _pendingReason : null,
    };

    // Ids as 32 hex digits, as PlacementGroup.ToString(), the state API and `orleansray list placement-groups` print them.
    [LoggerMessage(Level = LogLevel.Information, Message = "Placement group {Id:N} created: {Strategy} of {Bundles}")]
    private static partial void LogCreated(ILogger logger, Guid id, PlacementGroupStrategy strategy, string bundles);

    [LoggerMessage(Level = LogLevel.Information, Message = "Placement group {Id:N} '{Name}' created: {Strategy} of {Bundles}")]
    private static partial void LogCreatedNamed(ILogger logger, Guid id, string name, PlacementGroupStrategy strategy, string bundles);

    [LoggerMessage(Level = LogLevel.Information, Message = "Placement group {Id:N} placed: bundle@node {Placement}")]
    private static partial void LogPlaced(ILogger logger, Guid id, string placement);

    [LoggerMessage(Level = LogLevel.Information, Message = "Placement group {Id:N} removed; the nodes ended its work and free its bundles")]
    private static partial void LogRemoved(ILogger logger, Guid id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Placement group {Id:N}: bundle {Index} was on node {Node}, which died; placing it again")]
    private static partial void LogBundleLost(ILogger logger, Guid id, int index, NodeId node);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Placement group {Id:N}: node(s) {Nodes} refused their bundles; released the rest, retrying")]
    private static partial void LogRolledBack(ILogger logger, Guid id, string nodes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Placement group {Id:N}: a placement round failed ({ErrorType}: {Reason}); retrying")]
    private static partial void LogRoundFailed(ILogger logger, Guid id, string errorType, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Placement group {Id:N} restored from the control store ({State})")]
    private static partial void LogRestored(ILogger logger, Guid id, PlacementGroupState state);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The stored row of placement group {Id:N} could not be read: {Reason}")]
    private static partial void LogUnreadable(ILogger logger, Guid id, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing the row of placement group {Id:N} failed ({ErrorType}: {Reason}); the head keeps it in memory")]
    private static partial void LogWriteFailed(ILogger logger, Guid id, string errorType, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Placement group {Id:N} was deactivated ({ReasonCode}: {Description}); activating it again")]
    private static partial void LogReviving(ILogger logger, Guid id, DeactivationReasonCode reasonCode, string description);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Placement group {Id:N}: activating it again failed (attempt {Attempt}, {ErrorType}: {Reason})")]
    private static partial void LogReviveFailed(ILogger logger, Guid id, int attempt, string errorType, string reason);
}
