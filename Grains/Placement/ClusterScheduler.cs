using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using OrleansRay.Grains;
using OrleansRay.Scheduling;
using OrleansRay.Node;
using OrleansRay.Transport;

namespace OrleansRay.Placement;

/// <summary>This runtime's view of the cluster and its placement of the tasks it owns: here, or spilled to another node
/// (Ray's hybrid policy, SPREAD, node affinity, placement-group bundles), and re-run elsewhere when a node dies.</summary>
/// <remarks>
/// The view comes from the node table, refreshed every <see cref="RefreshPeriod"/> (a node's row carries its endpoint,
/// total and free resources; liveness comes from Orleans membership). Between refreshes, tasks sent to a node count
/// against its free resources here, so a burst does not land on one node. A task that fits no live node is parked,
/// shown as an infeasible demand, and placed at the first refresh that shows a node it fits.
/// </remarks>
internal sealed partial class ClusterScheduler : IDisposable, ITaskPlacer
{
    /// <summary>How often the view is refreshed: short enough that a dead node's tasks move within a second of
    /// membership declaring it dead, long enough to cost nothing (one small grain call).</summary>
    public static readonly TimeSpan RefreshPeriod = TimeSpan.FromMilliseconds(300);

    private readonly NodeRuntime _runtime;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<TaskId, TaskSpec> _inFlight = new();
    private readonly object _parkedGate = new();
    private readonly List<TaskSpec> _parked = new();
    private readonly CancellationTokenSource _stopping = new();
    private volatile RemoteNode[] _nodes = Array.Empty<RemoteNode>();
    private readonly Dictionary<NodeId, RemoteNode> _byId = new();
    private readonly TaskCompletionSource _firstRefresh = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _spreadCursor;
    private Task _loop = Task.CompletedTask;
    private volatile bool _started;

    public ClusterScheduler(NodeRuntime runtime, ILogger logger)
    {
        _runtime = runtime;
        _logger = logger;
    }

    /// <summary>The live nodes other than this one, as last seen.</summary>
    public IReadOnlyList<RemoteNode> Nodes => _nodes;

    /// <summary>Completes after the first view of the cluster arrived (a connected driver waits for it).</summary>
    public Task FirstRefresh => _firstRefresh.Task;

    /// <summary>Starts the refresh loop.</summary>
    public void Start()
    {
        _started = true;
        _loop = Task.Run(() => RefreshLoopAsync(_stopping.Token));
    }

    /// <summary>Tasks parked because no live node has their resources.</summary>
    public List<ResourceDemandInfo> ParkedDemands()
    {
        lock (_parkedGate)
        {
            return _parked.Where(s => !s.Cancelled && !s.Result.IsComplete)
                .GroupBy(s => s.Resources)
                .Select(g => new ResourceDemandInfo(g.Key, g.Count(), IsInfeasible: true, IsActor: false))
                .ToList();
        }
    }

    /// <summary>The scheduler engine's placer: false (it runs here) until <see cref="Start"/>, since a node that has not
    /// joined a cluster places nothing elsewhere; then <see cref="TryPlace"/>.</summary>
    public bool TryPlaceElsewhere(TaskSpec spec) => _started && TryPlace(spec);

    /// <summary>Places a task this runtime owns: true when the task was taken off this node.</summary>
    public bool TryPlace(TaskSpec spec)
    {
        var nodes = _nodes;
        if (nodes.Length == 0 && _runtime.CanExecute && spec.Placement.Kind != PlacementKind.NodeAffinity)
        {
            return false; // a single node: everything runs (or waits, or shows infeasible) here
        }

        var canRunHere = _runtime.CanExecute && spec.Resources.FitsIn(_runtime.Scheduler.Total);
        if (nodes.Length == 0 && _runtime.CanExecute)
        {
            if (spec.Placement.Kind == PlacementKind.NodeAffinity && !spec.Placement.Soft && spec.Placement.Node != _runtime.NodeId)
            {
                return FailUnplaceable(spec, $"Task {spec.DisplayName} must run on node {spec.Placement.Node} (NodeAffinity, soft: false), which is not alive.");
            }

            return false; // a single node: everything runs (or waits, or shows infeasible) here
        }

        switch (spec.Placement.Kind)
        {
            case PlacementKind.NodeAffinity:
            case PlacementKind.PlacementGroup when spec.Placement.Node.Value is not null:
                {
                    var target = spec.Placement.Node;
                    if (target == _runtime.NodeId && _runtime.CanExecute)
                    {
                        return false;
                    }

                    var node = nodes.FirstOrDefault(n => n.Id == target);
                    if (node is not null && spec.Resources.FitsIn(node.Total))
                    {
                        return Send(spec, node);
                    }

                    if (!spec.Placement.Soft)
                    {
                        return FailUnplaceable(spec, spec.Placement.Kind == PlacementKind.PlacementGroup
                            ? $"Task {spec.DisplayName} belongs to a placement-group bundle on node {target}, which is not alive."
                            : $"Task {spec.DisplayName} must run on node {target} (NodeAffinity, soft: false), which is not alive or lacks {spec.Resources}.");
                    }

                    break;
                }

            case PlacementKind.Spread:
                {
                    var candidates = new List<RemoteNode?>(nodes.Length + 1);
                    if (canRunHere)
                    {
                        candidates.Add(null);
                    }

                    candidates.AddRange(nodes.Where(n => spec.Resources.FitsIn(n.Total)));
                    if (candidates.Count == 0)
                    {
                        return Park(spec);
                    }

                    var pick = candidates[(int)((uint)Interlocked.Increment(ref _spreadCursor) % (uint)candidates.Count)];
                    return pick is not null && Send(spec, pick);
                }
        }

        // Ray's hybrid policy: here while this node can start it now; else the node with the most room now; else wait
        // here if this node could ever run it; else queue at the feasible node with the least work sent; else park.
        if (canRunHere && _runtime.Scheduler.CanStartNow(spec.Resources))
        {
            return false;
        }

        RemoteNode? best = null;
        var bestRoom = double.NegativeInfinity;
        foreach (var node in nodes)
        {
            var room = node.Room(spec.Resources);
            if (room >= 0 && room > bestRoom)
            {
                best = node;
                bestRoom = room;
            }
        }

        if (best is not null)
        {
            return Send(spec, best);
        }

        if (canRunHere)
        {
            return false;
        }

        RemoteNode? least = null;
        foreach (var node in nodes)
        {
            if (spec.Resources.FitsIn(node.Total) && (least is null || node.InFlightCount < least.InFlightCount))
            {
                least = node;
            }
        }

        return least is not null ? Send(spec, least) : Park(spec);
    }

    /// <summary>Chooses the node for a new actor (null: no preference, it lives where its creation lands — this node
    /// when it runs work). Same policies as tasks; the chosen node's free resources are charged here until its next
    /// report, so a burst of actors spreads.</summary>
    public NodeId? PlaceActor(ResourceSet shape, PlacementHint hint)
    {
        var nodes = _nodes;
        if (nodes.Length == 0)
        {
            return null;
        }

        var canLiveHere = _runtime.CanExecute && shape.FitsIn(_runtime.Scheduler.Total);
        switch (hint.Kind)
        {
            case PlacementKind.NodeAffinity:
                if (hint.Node == _runtime.NodeId && _runtime.CanExecute)
                {
                    return _runtime.NodeId;
                }

                if (nodes.FirstOrDefault(n => n.Id == hint.Node) is { } target)
                {
                    target.Charge(shape);
                    return target.Id;
                }

                break;
            case PlacementKind.Spread:
                {
                    var candidates = new List<RemoteNode?>();
                    if (canLiveHere)
                    {
                        candidates.Add(null);
                    }

                    candidates.AddRange(nodes.Where(n => shape.FitsIn(n.Total)));
                    if (candidates.Count > 0)
                    {
                        var pick = candidates[(int)((uint)Interlocked.Increment(ref _spreadCursor) % (uint)candidates.Count)];
                        pick?.Charge(shape);
                        return pick?.Id ?? _runtime.NodeId;
                    }

                    break;
                }
        }

        if (canLiveHere && shape.FitsIn(_runtime.Scheduler.Available()))
        {
            return _runtime.NodeId;
        }

        RemoteNode? best = null;
        var bestRoom = double.NegativeInfinity;
        foreach (var node in nodes)
        {
            var room = node.Room(shape);
            if (room >= 0 && room > bestRoom)
            {
                (best, bestRoom) = (node, room);
            }
        }

        best ??= canLiveHere ? null : nodes.FirstOrDefault(n => shape.FitsIn(n.Total));
        best?.Charge(shape);
        return best?.Id ?? (canLiveHere ? _runtime.NodeId : null);
    }

    private bool Park(TaskSpec spec)
    {
        if (_runtime.CanExecute && _nodes.Length == 0)
        {
            return false;
        }

        lock (_parkedGate)
        {
            _parked.Add(spec);
        }

        return true;
    }

    private bool FailUnplaceable(TaskSpec spec, string message)
    {
        _runtime.FinishOwned(spec, null, RayError.Create(RayErrorKind.NodeDied, message, spec.DisplayName), string.Empty, 0);
        return true;
    }

    private bool Send(TaskSpec spec, RemoteNode node)
    {
        var args = spec.Args;
        TaskArg[] wire;
        if (args.Length == 0)
        {
            wire = args;
        }
        else
        {
            wire = new TaskArg[args.Length];
            for (var i = 0; i < args.Length; i++)
            {
                var arg = args[i];
                if (!arg.IsRef)
                {
                    wire[i] = arg;
                    continue;
                }

                if (_runtime.ReadForRemote(arg, spec.DisplayName, out var value) is { } error)
                {
                    _runtime.FinishOwned(spec, null, error, string.Empty, 0);
                    return true;
                }

                wire[i] = TaskArg.FromValue(value);
            }
        }

        if (!spec.SentElsewhere)
        {
            spec.SentElsewhere = true;
            _runtime.Scheduler.RecordSentElsewhere();
        }

        spec.Attempt++;
        spec.State = TaskState.Running;
        spec.RemoteNode = node;
        _inFlight[spec.Id] = spec;
        node.Track(spec);
        node.Pump.Enqueue(new RemoteTask
        {
            Id = spec.Id,
            Function = spec.Function.Descriptor,
            Args = wire,
            Resources = spec.Resources,
            PreviousAttempts = spec.Attempt - 1,
            MaxRetries = spec.MaxRetries,
            RetryExceptions = spec.RetryExceptions,
            Name = spec.Name,
            ReturnId = spec.Result.Id,
        });
        if (spec.Cancelled)
        {
            node.Cancel(spec.Id, force: true);
        }

        return true;
    }

    /// <summary>Makes the send pump of a node: batches of tasks to its endpoint; a send that fails because the node is
    /// unreachable re-places the batch, one that fails for its items (split down to them by the pump) fails those alone.</summary>
    public SendPump<RemoteTask> CreatePump(RemoteNode node) => new(
        batch => node.Endpoint.RunTasksAsync(_runtime.Endpoint!, batch),
        (batch, ex) =>
        {
            LogSendFailed(_logger, batch.Length, node.Id, ex.GetType().Name, ex.Message);
            var transient = IsTransient(ex);
            foreach (var task in batch)
            {
                if (_inFlight.TryGetValue(task.Id, out var spec) && ReferenceEquals(spec.RemoteNode, node) && node.Untrack(spec))
                {
                    if (transient)
                    {
                        Replace(spec, node, $"sending it to node {node.Id} failed: {ex.Message}");
                    }
                    else if (_inFlight.TryRemove(spec.Id, out _))
                    {
                        // Not the node's fault (an argument that cannot be serialized, say): running it again elsewhere
                        // would fail the same way. The pump split the batch first, so only the tasks at fault get here.
                        spec.RemoteNode = null;
                        _runtime.FinishOwned(spec, null, WireCheck.UnsendableError(spec.DisplayName, $"node {node.Id}", ex), string.Empty, 0);
                    }
                }
            }
        });

    /// <summary>Failures that say the node is unreachable (going away, or gone) rather than that the message is bad.</summary>
    internal static bool IsTransient(Exception ex)
    {
        var e = ex is AggregateException { InnerException: { } inner } ? inner : ex;
        return e is SiloUnavailableException or OrleansMessageRejectionException or TimeoutException or ClientNotAvailableException
            or System.Net.Sockets.SocketException or ObjectDisposedException
            || e.GetType().Name is "ConnectionFailedException" or "ConnectionAbortedException" or "GatewayTooBusyException";
    }

    /// <summary>A result arrived for a task this runtime owns.</summary>
    public bool TryComplete(RemoteResult result)
    {
        if (!_inFlight.TryRemove(result.TaskId, out var spec))
        {
            return false; // a late duplicate (the task was re-run after its node was thought dead): the first result won
        }

        (spec.RemoteNode as RemoteNode)?.Untrack(spec);
        spec.RemoteNode = null;
        _runtime.FinishOwned(spec, result.Value, result.Error, result.Node, result.DurationTicks);
        return true;
    }

    /// <summary>A task's node died or could not be reached: run it again elsewhere while retries last (Ray's
    /// max_retries counts these), else fail it with NodeDied.</summary>
    private void Replace(TaskSpec spec, RemoteNode from, string why)
    {
        if (!_inFlight.TryRemove(spec.Id, out _) || spec.Result.IsComplete)
        {
            return;
        }

        spec.RemoteNode = null;
        if (spec.Cancelled)
        {
            return;
        }

        if (spec.Attempt > spec.MaxRetries)
        {
            _runtime.FinishOwned(spec, null, RayError.Create(RayErrorKind.NodeDied,
                $"Task {spec.DisplayName} ({spec.Id}) was running on node {from.Id}, which died ({why}); it ran {spec.Attempt} time(s) and MaxRetries is {spec.MaxRetries}.",
                spec.DisplayName), from.Id.Value, 0);
            return;
        }

        LogRetryElsewhere(_logger, spec.DisplayName, from.Id, spec.Attempt);
        spec.State = TaskState.Waiting;
        _runtime.Scheduler.Enqueue(spec);
    }

    private long _lastRefreshedTicks = DateTime.UtcNow.Ticks;

    /// <summary>When this runtime last exchanged rows with the node table (on the head), or when it was made: a node
    /// that has not heard from the table for long has lost the head.</summary>
    public DateTime LastRefreshedUtc => new(Interlocked.Read(ref _lastRefreshedTicks), DateTimeKind.Utc);

    private async Task RefreshLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(RefreshPeriod);
        var failing = false;
        do
        {
            try
            {
                await RefreshAsync().ConfigureAwait(false);
                Interlocked.Exchange(ref _lastRefreshedTicks, DateTime.UtcNow.Ticks);
                failing = false;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException && !cancellationToken.IsCancellationRequested)
            {
                if (!failing)
                {
                    LogRefreshFailed(_logger, ex.GetType().Name, ex.Message);
                    failing = true;
                }
            }
        }
        while (!cancellationToken.IsCancellationRequested && await WaitForTickAsync(timer, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<bool> WaitForTickAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Reports this runtime's row (a node) or its parked demands (a driver), reads every node's, and acts on
    /// what changed: dead nodes' tasks move, parked tasks that now fit go, queued work spills to idle nodes.</summary>
    public async Task RefreshAsync()
    {
        if (_runtime.IsDisposed || _runtime.Endpoint is null)
        {
            return;
        }

        var table = _runtime.GrainFactory.GetGrain<INodeTableGrain>(0);
        var self = _runtime.CanExecute ? _runtime.LocalStatus() : null;
        var rows = await table.ExchangeAsync(self, _runtime.WorkerId, _runtime.CanExecute ? Array.Empty<ResourceDemandInfo>() : ParkedDemands().ToArray()).ConfigureAwait(false);
        var died = new List<RemoteNode>();
        var live = new List<RemoteNode>();
        lock (_byId)
        {
            var seen = new HashSet<NodeId>();
            foreach (var row in rows)
            {
                if (row.NodeId == _runtime.NodeId || row.Endpoint is null)
                {
                    continue;
                }

                seen.Add(row.NodeId);
                _byId.TryGetValue(row.NodeId, out var node);
                if (!row.IsAlive)
                {
                    if (node is { IsAlive: true })
                    {
                        node.IsAlive = false;
                        died.Add(node);
                    }

                    continue;
                }

                if (node is null || !node.IsAlive)
                {
                    node = new RemoteNode(row.NodeId, row.Endpoint, row.Total, row.Available, CreatePump);
                    _byId[row.NodeId] = node;
                }
                else
                {
                    node.Update(row.Total, row.Available);
                }

                live.Add(node);
            }

            foreach (var (id, node) in _byId)
            {
                if (!seen.Contains(id) && node.IsAlive)
                {
                    node.IsAlive = false;
                    died.Add(node);
                }
            }
        }

        _nodes = live.ToArray();
        _firstRefresh.TrySetResult();
        foreach (var node in died)
        {
            _runtime.Actors.NodeDied(node.Id);
            var lost = node.TakeAll();
            LogNodeDied(_logger, node.Id, lost.Count);
            foreach (var spec in lost)
            {
                Replace(spec, node, "declared dead by cluster membership");
            }
        }

        RetryParked();
        Rebalance();
    }

    private void RetryParked()
    {
        List<TaskSpec> parked;
        lock (_parkedGate)
        {
            if (_parked.Count == 0)
            {
                return;
            }

            parked = _parked.ToList();
            _parked.Clear();
        }

        foreach (var spec in parked)
        {
            if (!spec.Cancelled && !spec.Result.IsComplete)
            {
                _runtime.Scheduler.Enqueue(spec);
            }
        }
    }

    /// <summary>Tasks queued here while another node has room for them move there (Ray's spillback of queued work),
    /// as do tasks this node can never run.</summary>
    private void Rebalance()
    {
        var nodes = _nodes;
        if (nodes.Length == 0 || !_runtime.CanExecute)
        {
            return;
        }

        foreach (var (shape, count) in _runtime.Scheduler.QueuedShapes())
        {
            var infeasibleHere = !shape.FitsIn(_runtime.Scheduler.Total);
            var budget = 0;
            foreach (var node in nodes)
            {
                if (!shape.FitsIn(node.Total))
                {
                    continue;
                }

                budget += infeasibleHere ? count : EstimateSlots(node, shape);
            }

            if (budget == 0)
            {
                continue;
            }

            foreach (var spec in _runtime.Scheduler.TakeQueued(s => s.Equals(shape), Math.Min(budget, count)))
            {
                spec.State = TaskState.Waiting;
                if (!TryPlace(spec))
                {
                    _runtime.Scheduler.EnqueueHere(spec);
                }
            }
        }
    }

    private static int EstimateSlots(RemoteNode node, ResourceSet shape)
    {
        var room = node.Room(shape);
        if (room < 0)
        {
            return 0;
        }

        var fits = int.MaxValue;
        foreach (var (name, amount) in shape.Items)
        {
            if (amount > 0)
            {
                fits = Math.Min(fits, 1 + (int)Math.Floor(room * node.Total[name] / amount));
            }
        }

        return fits == int.MaxValue ? 8 : fits;
    }

    /// <summary>Stops refreshing the view (the silo is shutting down: its grains are going away) and waits for the loop.</summary>
    public async Task StopAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The loop ends by cancellation.
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        foreach (var spec in _inFlight.Values)
        {
            spec.RemoteNode = null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sending {Count} tasks to node {Node} failed ({ErrorType}: {Reason}); placing them again")]
    private static partial void LogSendFailed(ILogger logger, int count, NodeId node, string errorType, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {Node} died with {Count} of this runtime's tasks; they run again elsewhere while their retries last")]
    private static partial void LogNodeDied(ILogger logger, NodeId node, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Task {FunctionName} runs again after node {Node} died (attempt {Attempt} done)")]
    private static partial void LogRetryElsewhere(ILogger logger, string functionName, NodeId node, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refreshing the cluster view failed ({ErrorType}: {Reason}); retrying")]
    private static partial void LogRefreshFailed(ILogger logger, string errorType, string reason);
}
