using Orleans.Runtime;
using OrleansRay.Diagnostics;
using OrleansRay.Grains;
using OrleansRay.Runtime;

namespace OrleansRay.Silo.Dashboard;

/// <summary>What the dashboard's /api endpoints return, read from the node that serves the dashboard.</summary>
/// <remarks>Cluster-wide: nodes, usage and demands (node table), actor activations (Orleans' management grain), named
/// actors (actor directory). This node only, until nodes report them: task counts, latest tasks, objects.</remarks>
internal sealed class DashboardApi
{
    /// <summary>How many of the latest finished tasks /api/tasks lists: a screenful.</summary>
    public const int LatestTasks = 100;

    private readonly IGrainFactory _grains;
    private readonly NodeRuntime _runtime;
    private readonly TaskEventLog _events;
    private readonly TimeProvider _timeProvider;

    public DashboardApi(IGrainFactory grains, NodeRuntime runtime, TaskEventLog events, TimeProvider timeProvider)
    {
        _grains = grains;
        _runtime = runtime;
        _events = events;
        _timeProvider = timeProvider;
    }

    private string Node => _runtime.NodeId.Value ?? string.Empty;

    public Task<ClusterSnapshot> ClusterAsync(CancellationToken cancellationToken) =>
        ClusterSnapshot.BuildAsync(_grains, _timeProvider.GetUtcNow(), cancellationToken);

    public TasksView Tasks()
    {
        var scheduler = _runtime.Scheduler;
        var counts = new TaskCounts(scheduler.SubmittedCount, scheduler.QueuedCount, scheduler.WaitingForArgs, scheduler.RunningCount, scheduler.FinishedCount, scheduler.FailedCount);
        var latest = _events.Latest(LatestTasks)
            .Select(e => new TaskRow(e.TaskId, e.Function, e.Node, e.FinishedAt, Math.Round(e.Duration.TotalMilliseconds, 3), e.Error))
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
        if (_runtime.Store is { } local)
        {
            var s = await local.Client.GetStatsAsync(cancellationToken).ConfigureAwait(false);
            store = new StoreRow(s.Capacity, s.UsedBytes, s.ObjectCount, s.SpilledCount, s.SpilledBytes, s.SpillCount, s.RestoreCount, s.EvictionCount, s.PullBytesReceived, s.TransferBytesSent);
        }

        return new ObjectsView([new ObjectNode(Node, _runtime.Objects.Count, store)]);
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

    internal sealed record ObjectNode(string Node, int OwnedObjects, StoreRow? Store);

    internal sealed record ObjectsView(IReadOnlyList<ObjectNode> Nodes);

    internal sealed record JobsView(IReadOnlyList<string> Jobs, string Note);
}
