using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using OrleansRay.Diagnostics;
using OrleansRay.ObjectStore;
using OrleansRay.Grains;
using OrleansRay.Runtime;
using OrleansRay.Silo.Hosting;

namespace OrleansRay.Silo.Dashboard;

/// <summary>What the dashboard's /api endpoints return, read from the node that serves the dashboard.</summary>
/// <remarks>Cluster-wide: nodes, usage and demands (node table), actor activations (Orleans' management grain), named
/// actors (actor directory). This node only, until nodes report them: task counts, latest tasks, objects.</remarks>
internal sealed partial class DashboardApi : IAsyncDisposable
{
    /// <summary>How many of the latest finished tasks /api/tasks lists: a screenful.</summary>
    public const int LatestTasks = 100;

    private readonly IGrainFactory _grains;
    private readonly NodeRuntime _runtime;
    private readonly TaskEventLog _events;
    private readonly TimeProvider _timeProvider;
    private readonly NodeObjectStore? _storeProcess;
    private readonly SemaphoreSlim _connecting = new(1, 1);
    private readonly ILogger<DashboardApi> _logger;
    private ObjectStoreClient? _storeClient;
    private int _storeFailures;

    public DashboardApi(IGrainFactory grains, NodeRuntime runtime, TaskEventLog events, TimeProvider timeProvider, ILogger<DashboardApi> logger, NodeObjectStore? storeProcess = null)
    {
        _logger = logger;
        _grains = grains;
        _runtime = runtime;
        _events = events;
        _timeProvider = timeProvider;
        _storeProcess = storeProcess;
    }

    private string Node => _runtime.NodeId.Value ?? string.Empty;

    public Task<ClusterSnapshot> ClusterAsync(CancellationToken cancellationToken) =>
        ClusterSnapshot.BuildAsync(_grains, _timeProvider.GetUtcNow(), cancellationToken);

    public TasksView Tasks()
    {
        var scheduler = _runtime.Scheduler;
        var counts = new TaskCounts(scheduler.SubmittedCount, scheduler.QueuedCount, scheduler.WaitingForArgs, scheduler.RunningCount, scheduler.FinishedCount, scheduler.FailedCount);
        var latest = _events.Latest(LatestTasks)
            .Select(e => new TaskRow(e.TaskId.ToString(), e.Function, e.Node, e.FinishedAt, Math.Round(e.Duration.TotalMilliseconds, 3), e.Error))
            .ToList();
        return new TasksView(Node, counts, latest, new EventLogInfo(_events.Capacity, _events.Count, _events.Recorded));
    }

    public async Task<ActorsView> ActorsAsync(CancellationToken cancellationToken)
    {
        var stats = await _grains.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics().WaitAsync(cancellationToken).ConfigureAwait(false);
        var hosts = stats
            .Where(s => s.GrainType.Contains("ActorHostGrain", StringComparison.Ordinal))
            .GroupBy(s => s.SiloAddress.ToParsableString(), StringComparer.Ordinal)
            .Select(g => new ActorNode(g.Key, g.Sum(s => s.ActivationCount)))
            .OrderBy(n => n.Node, StringComparer.Ordinal)
            .ToList();
        var named = await _grains.GetGrain<IActorDirectoryGrain>(_runtime.Options.Namespace).ListAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        var rows = named
            .Select(a => new ActorRow(a.ActorId.ToString(), a.Name, a.Namespace, a.ClassName, a.State.ToString().ToUpperInvariant(), a.Node, a.Restarts, a.Detached))
            .OrderBy(a => a.Name, StringComparer.Ordinal)
            .ToList();
        return new ActorsView(hosts.Sum(h => h.Activations), hosts, _runtime.Options.Namespace, rows);
    }

    public async Task<ObjectsView> ObjectsAsync(CancellationToken cancellationToken)
    {
        StoreRow? store = null;
        string? storeError = null;
        try
        {
            if (await StoreClientAsync(cancellationToken).ConfigureAwait(false) is { } client)
            {
                var s = await client.GetStatsAsync(cancellationToken).ConfigureAwait(false);
                store = new StoreRow(s.Capacity, s.UsedBytes, s.ObjectCount, s.SpilledCount, s.SpilledBytes, s.SpillCount, s.RestoreCount, s.EvictionCount, s.PullBytesReceived, s.TransferBytesSent);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            // The page shows why the store's figures are missing; the log gets the first failure of a run.
            storeError = $"{ex.GetType().Name}: {ex.Message}";
            if (Interlocked.Increment(ref _storeFailures) == 1)
            {
                LogStoreStatsFailed(ex);
            }
        }

        if (store is not null)
        {
            Interlocked.Exchange(ref _storeFailures, 0);
        }

        return new ObjectsView([new ObjectNode(Node, _runtime.Objects.Count, store, storeError)]);
    }

    public async ValueTask DisposeAsync()
    {
        if (_storeClient is not null)
        {
            await _storeClient.DisposeAsync().ConfigureAwait(false);
        }

        _connecting.Dispose();
    }

    /// <summary>The runtime's store client, else (a CLI node, whose store is a child process the runtime does not use
    /// yet) a client of that process, connected at the first request.</summary>
    private async ValueTask<ObjectStoreClient?> StoreClientAsync(CancellationToken cancellationToken)
    {
        if (_runtime.Store is { } local)
        {
            return local.Client;
        }

        if (_storeProcess?.Process is not { HasExited: false } process)
        {
            return null;
        }

        await _connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return _storeClient ??= await process.ConnectAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _connecting.Release();
        }
    }

    /// <summary>Drivers are not tracked yet: connected drivers (RayOptions.Address) are not supported, and the
    /// embedded driver is the node itself.</summary>
    public static JobsView Jobs() => new([], "No job table yet: drivers embed their own node (Ray.InitAsync); connected drivers are not supported.");

    internal sealed record TaskCounts(long Submitted, int Pending, int WaitingForArgs, int Running, long Finished, long Failed);

    internal sealed record TaskRow(string TaskId, string Function, string Node, DateTimeOffset FinishedAt, double DurationMs, string? Error);

    internal sealed record EventLogInfo(int Capacity, int Held, long Recorded);

    internal sealed record TasksView(string Node, TaskCounts Counts, IReadOnlyList<TaskRow> Latest, EventLogInfo EventLog);

    internal sealed record ActorNode(string Node, int Activations);

    internal sealed record ActorRow(string ActorId, string Name, string Namespace, string ClassName, string State, string Node, int Restarts, bool Detached);

    internal sealed record ActorsView(int Activations, IReadOnlyList<ActorNode> Nodes, string Namespace, IReadOnlyList<ActorRow> Named);

    internal sealed record StoreRow(long Capacity, long UsedBytes, int ObjectCount, int SpilledCount, long SpilledBytes, long SpillCount, long RestoreCount, long EvictionCount, long PullBytesReceived, long TransferBytesSent);

    internal sealed record ObjectNode(string Node, int OwnedObjects, StoreRow? Store, string? StoreError);

    internal sealed record ObjectsView(IReadOnlyList<ObjectNode> Nodes);

    internal sealed record JobsView(IReadOnlyList<string> Jobs, string Note);
}
