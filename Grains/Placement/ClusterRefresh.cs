using Microsoft.Extensions.Logging;
using System.Collections.Concurrent;
using OrleansRay.Grains;
using OrleansRay.Ownership;
using OrleansRay.Transport;

namespace OrleansRay.Placement;

/// <summary>This runtime's view of the other nodes, refreshed from the node table every
/// <see cref="ClusterScheduler.RefreshPeriod"/>: each exchange reports this runtime's row (a node) or its parked demands (a
/// driver), reads every node's row, notes which nodes joined, changed or died, and hands the result to the
/// <see cref="ClusterScheduler"/> (Ray's resource view, kept fresh by node heartbeats to the GCS).</summary>
internal sealed partial class ClusterRefresh : IDisposable, IOwnerWatch
{
    private readonly ClusterScheduler _scheduler;
    private readonly LocalNode _node;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Dictionary<NodeId, RemoteNode> _byId = new();
    private readonly TaskCompletionSource _firstRefresh = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile RemoteNode[] _nodes = Array.Empty<RemoteNode>();
    private volatile RemoteNode[] _placementNodes = Array.Empty<RemoteNode>();
    private Task _loop = Task.CompletedTask;
    private volatile bool _started;
    private long _lastRefreshedTicks = DateTime.UtcNow.Ticks;

    /// <summary>Every node's endpoint as the node table last showed it, alive or dead, with the node's name and address:
    /// the owners a borrower may read from (<see cref="Check"/>).</summary>
    private readonly ConcurrentDictionary<GrainId, (bool IsAlive, string Where)> _endpoints = new();

    public ClusterRefresh(ClusterScheduler scheduler, LocalNode node, ILogger logger)
    {
        _scheduler = scheduler;
        _node = node;
        _logger = logger;
        _drivers = new DriverFates(node.GrainFactory);
    }

    /// <summary>What the job table says of the drivers whose objects this runtime borrows (<see cref="HasDriverEndedAsync"/>).</summary>
    private readonly DriverFates _drivers;

    /// <summary>The live nodes other than this one, as last seen.</summary>
    public RemoteNode[] Nodes => _nodes;

    /// <summary>The live nodes other than this one that take new work: <see cref="Nodes"/> without the draining ones
    /// (Ray's placement skips draining nodes). Hard node affinity still reaches a draining node (it ends the drain).</summary>
    public RemoteNode[] PlacementNodes => _placementNodes;

    /// <summary>Completes after the first view of the cluster arrived (a connected driver waits for it).</summary>
    public Task FirstRefresh => _firstRefresh.Task;

    /// <summary>When this runtime last exchanged rows with the node table (on the head), or when it was made: a node
    /// that has not heard from the table for long has lost the head.</summary>
    public DateTime LastRefreshedUtc => new(Interlocked.Read(ref _lastRefreshedTicks), DateTimeKind.Utc);

    /// <summary>Raised on the refresh loop after each refresh was acted on (so never after <see cref="StopAsync"/>);
    /// a handler must not throw or block.</summary>
    public event Action? Refreshed;

    /// <summary>True when the node table showed <paramref name="node"/> to this view at some refresh, alive then or dead:
    /// false for a node that joined after the last refresh (or an id no node ever had).</summary>
    public bool HasSeen(NodeId node)
    {
        lock (_byId)
        {
            return _byId.ContainsKey(node);
        }
    }

    /// <summary>True once <see cref="Start"/> ran (the runtime joined a cluster).</summary>
    public bool IsStarted => _started;

    /// <summary>Starts the refresh loop.</summary>
    public void Start()
    {
        _started = true;
        _loop = Task.Run(() => RefreshLoopAsync(_stopping.Token));
    }

    /// <summary>Exchanges rows with the node table once and acts on what changed (see the class summary). Does nothing
    /// before the runtime joined a cluster or after it shut down.</summary>
    /// <remarks>One exchange at a time, each applied before the next is sent: the refresh loop's first exchange and the
    /// one a starting node or driver awaits (<c>NodeRuntimeLifecycle</c>, <c>ConnectedCluster</c>) otherwise ran side by
    /// side, and their answers could be applied in the opposite order to the one the table made them in. A starting
    /// node then applied an answer made before its sibling joined after one that had the sibling, and took the sibling
    /// for dead (a CI run with two CPU burners; <see cref="AbsentExchangesForDeath"/>).</remarks>
    public async Task RefreshAsync()
    {
        if (_node.IsDisposed || _node.Endpoint is null)
        {
            return;
        }

        await _oneExchange.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_node.IsDisposed)
            {
                return; // shut down while this waited for the exchange before it
            }

            Apply(await (ExchangeForTest ?? ExchangeAsync)().ConfigureAwait(false));
        }
        finally
        {
            _oneExchange.Release();
        }
    }

    /// <summary>Held from an exchange's send until its answer was applied (<see cref="RefreshAsync"/>).</summary>
    private readonly SemaphoreSlim _oneExchange = new(1, 1);

    /// <summary>Tests only: stands in for the call to the node table, so a test can hold an answer back.</summary>
    internal Func<Task<IReadOnlyList<NodeStatus>>>? ExchangeForTest { get; set; }

    private Task<IReadOnlyList<NodeStatus>> ExchangeAsync()
    {
        var table = _node.GrainFactory.GetGrain<INodeTableGrain>(0);
        var self = _node.CanExecute ? _scheduler.LocalStatus() : null;
        return table.ExchangeAsync(self, _node.WorkerId, _node.CanExecute ? Array.Empty<ResourceDemandInfo>() : _scheduler.ParkedDemands().ToArray());
    }

    /// <summary>Exchanges in a row a live node's row may be missing from before the node counts as dead (3 s at the
    /// refresh period). A row the table shows dead is a death at once (the table takes it from Orleans membership, and a
    /// dead row never comes back); a row that is merely missing is not proof. A node starting beside a peer once applied
    /// an answer without the peer's row after one with it (a CI run with two CPU burners: two exchanges were in flight,
    /// which <see cref="RefreshAsync"/> no longer allows), took the peer for dead, and failed every later call to the
    /// peer's actors while the peer ran on. A node table re-activated from a snapshot older than a join could answer the
    /// same way, so the tolerance stays.</summary>
    internal const int AbsentExchangesForDeath = 10;

    /// <summary>Live nodes missing from the latest exchanges, with how many exchanges in a row they were missing from.</summary>
    private readonly Dictionary<NodeId, int> _absent = new();

    /// <summary>Acts on the rows of one exchange with the node table (<see cref="RefreshAsync"/>).</summary>
    internal void Apply(IReadOnlyList<NodeStatus> rows)
    {
        var died = new List<RemoteNode>();
        var live = new List<RemoteNode>();
        lock (_byId)
        {
            var seen = new HashSet<NodeId>();
            foreach (var row in rows)
            {
                if (row.NodeId == _node.NodeId || row.Endpoint is null)
                {
                    continue;
                }

                seen.Add(row.NodeId);
                _endpoints[row.Endpoint.GetGrainId()] = (row.IsAlive, string.IsNullOrEmpty(row.Address) || row.Address == row.NodeId.Value ? $"node {row.NodeId}" : $"node {row.NodeId} at {row.Address}");
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
                    node = new RemoteNode(row.NodeId, row.Endpoint, row.Total, row.Available, _scheduler.CreatePump)
                    {
                        Channel = row.TaskChannel is { } channel ? _scheduler.OpenTaskChannel?.Invoke(channel) : null,
                    };
                    _byId[row.NodeId] = node;
                }
                else
                {
                    node.Update(row.Total, row.Available);
                }

                node.IsDraining = row.IsDraining;
                live.Add(node);
            }

            foreach (var (id, node) in _byId)
            {
                if (seen.Contains(id) || !node.IsAlive)
                {
                    _absent.Remove(id);
                    continue;
                }

                var absent = _absent.GetValueOrDefault(id) + 1;
                if (absent < AbsentExchangesForDeath)
                {
                    _absent[id] = absent; // still placed on meanwhile: a send that fails there is placed again
                    live.Add(node);
                    continue;
                }

                _absent.Remove(id);
                node.IsAlive = false;
                _endpoints.AddOrUpdate(node.Endpoint.GetGrainId(), (false, $"node {id}"), (_, known) => known with { IsAlive = false });
                died.Add(node);
            }
        }

        _nodes = live.ToArray();
        _placementNodes = live.Exists(n => n.IsDraining) ? live.Where(n => !n.IsDraining).ToArray() : _nodes;
        _firstRefresh.TrySetResult();
        _scheduler.OnRefreshed(died);
        foreach (var node in died)
        {
            // After the death handling above took the node's tasks: sends still on its channel then fail quietly.
            node.Close();
        }

        Refreshed?.Invoke();
    }

    /// <inheritdoc />
    /// <remarks>A node's row is dead once Orleans membership declared its silo dead (or it stopped cleanly), as the node
    /// table shows it; a driver has no row, so it stays unknown.</remarks>
    public OwnerFate Check(INodeEndpoint owner, out string where)
    {
        if (_endpoints.TryGetValue(owner.GetGrainId(), out var known))
        {
            where = known.Where;
            return known.IsAlive ? OwnerFate.Alive : OwnerFate.Dead;
        }

        where = string.Empty;
        return OwnerFate.Unknown;
    }

    /// <inheritdoc />
    public ValueTask<bool> HasDriverEndedAsync(WorkerId driver) => _drivers.HasEndedAsync(driver);

    /// <inheritdoc />
    public bool IsDriverKnownEnded(WorkerId driver) => _drivers.IsKnownEnded(driver);

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

    /// <summary>Stops the loop without waiting for it, and closes the task channels to the other nodes.</summary>
    public void Dispose()
    {
        _stopping.Cancel();
        lock (_byId)
        {
            foreach (var node in _byId.Values)
            {
                node.Close();
            }
        }
    }

    private async Task RefreshLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(ClusterScheduler.RefreshPeriod);
        var failing = false;
        do
        {
            try
            {
                await RefreshAsync().ConfigureAwait(false);
                var silent = DateTime.UtcNow - LastRefreshedUtc;
                Interlocked.Exchange(ref _lastRefreshedTicks, DateTime.UtcNow.Ticks);
                if (failing)
                {
                    // One line per change of state: the failure was told once, so is the recovery.
                    LogRefreshRecovered(_logger, (int)silent.TotalSeconds);
                    failing = false;
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException && !cancellationToken.IsCancellationRequested)
            {
                if (!failing)
                {
                    LogRefreshFailedDetail(_logger, ex);
                    LogRefreshFailed(_logger, Transport.CallFailures.Describe(ex));
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not refresh the view of the cluster from the head node, or from the node this process reaches it through: {Reason}; retrying")]
    private static partial void LogRefreshFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The view of the cluster is refreshed again: the head node answers after {Seconds} s")]
    private static partial void LogRefreshRecovered(ILogger logger, int seconds);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Refreshing the view of the cluster failed")]
    private static partial void LogRefreshFailedDetail(ILogger logger, Exception exception);
}
