using OrleansRay.Grains;
using OrleansRay.Node;

namespace OrleansRay.Silo.Dashboard;

/// <summary>What the dashboard's /api endpoints return: the whole cluster, read through the node serving the dashboard.</summary>
/// <remarks>Nodes, usage and demands come from the node table (<see cref="ClusterSnapshot"/>, shared with
/// <c>orleansray status</c>); tasks, actors and objects from every live node's details (<see cref="ClusterDetails"/>);
/// jobs from the job table.</remarks>
internal sealed class DashboardApi
{
    /// <summary>How many of the latest finished tasks /api/tasks lists: a screenful, merged from every node.</summary>
    public const int LatestTasks = 100;

    /// <summary>How many actors /api/actors lists (the counts cover all): a page, not a cluster's millions.</summary>
    public const int MaxActorRows = 1000;

    private readonly IGrainFactory _grains;
    private readonly NodeRuntime _runtime;
    private readonly ClusterDetails _details;
    private readonly TimeProvider _timeProvider;

    public DashboardApi(IGrainFactory grains, NodeRuntime runtime, ClusterDetails details, TimeProvider timeProvider)
    {
        _grains = grains;
        _runtime = runtime;
        _details = details;
        _timeProvider = timeProvider;
    }

    public Task<ClusterSnapshot> ClusterAsync(CancellationToken cancellationToken) =>
        ClusterSnapshot.BuildAsync(_grains, _timeProvider.GetUtcNow(), cancellationToken);

    /// <summary>Task counts summed over the live nodes, each node's counts, and the latest finished tasks of all nodes.</summary>
    public async Task<TasksView> TasksAsync(CancellationToken cancellationToken)
    {
        var reports = await _details.GatherAsync(LatestTasks, cancellationToken).ConfigureAwait(false);
        var answered = reports.Where(r => r.Details is not null).Select(r => r.Details!).ToList();
        var counts = new TaskCounts(
            answered.Sum(d => d.Tasks.Submitted + d.Tasks.Received - d.Tasks.SentElsewhere),
            answered.Sum(d => d.Tasks.Received),
            answered.Sum(d => d.Tasks.Pending),
            answered.Sum(d => d.Tasks.WaitingForArgs),
            answered.Sum(d => d.Tasks.Running),
            answered.Sum(d => d.Tasks.Finished),
            answered.Sum(d => d.Tasks.Failed));
        var nodes = reports.Select(r => new TaskNode(r.Node, r.Details is { } d ? Counts(d.Tasks) : null, r.Error)).ToList();
        // A task an owner node sent elsewhere is recorded by both (the owner when its result arrives): list it once.
        var latest = answered
            .SelectMany(d => d.LatestTasks)
            .OrderByDescending(t => t.FinishedAt)
            .DistinctBy(t => t.TaskId, StringComparer.Ordinal)
            .Take(LatestTasks)
            .Select(t => new TaskRow(t.TaskId, t.Function, t.Node, t.FinishedAt, t.DurationMs, t.Error))
            .ToList();
        var eventLog = new EventLogInfo(
            answered.Count == 0 ? 0 : answered.Max(d => d.EventLogCapacity),
            answered.Sum(d => (int)Math.Min(d.EventsRecorded, d.EventLogCapacity)),
            answered.Sum(d => d.EventsRecorded));
        return new TasksView(counts, nodes, latest, eventLog);

        static TaskCounts Counts(NodeTaskCounts c) =>
            new(c.Submitted + c.Received - c.SentElsewhere, c.Received, c.Pending, c.WaitingForArgs, c.Running, c.Finished, c.Failed);
    }

    /// <summary>Every actor the live nodes host (live ones, and each node's latest dead ones), plus the actors last seen on
    /// a node that is gone (at most <see cref="MaxActorRows"/> per actor-table shard) and the named actors no node hosts
    /// (waiting to be created, or lost with their node).</summary>
    public async Task<ActorsView> ActorsAsync(CancellationToken cancellationToken)
    {
        var reports = await _details.GatherAsync(0, cancellationToken).ConfigureAwait(false);
        var hosted = reports
            .Where(r => r.Details is not null)
            .SelectMany(r => r.Details!.Actors)
            .Select(a => Row(a.Info, a.PendingCalls, a.CallsRun))
            .ToList();
        var known = hosted.Select(a => a.ActorId).ToHashSet(StringComparer.Ordinal);
        // The hosted actors are the page; the directory and the actor table add the named actors no node hosts, as the
        // state API shows them (a directory that does not answer adds none).
        var alive = reports.Select(r => r.Node).ToHashSet(StringComparer.Ordinal);
        var (named, _, _) = await OrleansRay.Node.UnhostedActors.ReadAsync(_grains, known, alive, [], MaxActorRows, ClusterDetails.NodeDeadline, cancellationToken).ConfigureAwait(false);
        var rows = hosted
            .Concat(named.Select(n => new ActorRow(n.ActorId, n.Name, n.Namespace, n.ClassName, n.State, n.Node, n.Restarts, n.Detached, null, null)))
            .OrderBy(a => StateOrder(a.State)).ThenBy(a => a.ClassName, StringComparer.Ordinal).ThenBy(a => a.Name, StringComparer.Ordinal).ThenBy(a => a.ActorId, StringComparer.Ordinal)
            .ToList();
        var counts = new ActorCounts(
            rows.Count(a => a.State == "ALIVE"),
            rows.Count(a => a.State == "PENDING"),
            rows.Count(a => a.State == "RESTARTING"),
            rows.Count(a => a.State == "DEAD"));
        var nodes = reports
            .Select(r => r.Details is { } d
                ? new ActorNode(r.Node, d.Actors.Count(a => a.Info.State != ActorState.Dead), d.Actors.Sum(a => a.PendingCalls), null)
                : new ActorNode(r.Node, 0, 0, r.Error))
            .ToList();
        return new ActorsView(counts, rows.Count, nodes, rows.Take(MaxActorRows).ToList());

        static ActorRow Row(ActorInfo a, int? pendingCalls, long? callsRun) =>
            new(a.ActorId.ToString(), a.Name, a.Namespace, a.ClassName, a.State.ToString().ToUpperInvariant(), a.Node, a.Restarts, a.Detached, pendingCalls, callsRun);

        static int StateOrder(string state) => state switch
        {
            "ALIVE" => 0,
            "RESTARTING" => 1,
            "PENDING" => 2,
            _ => 3,
        };
    }

    /// <summary>Each live node's owned objects, the bytes it holds for other owners, and its object store's figures.</summary>
    public async Task<ObjectsView> ObjectsAsync(CancellationToken cancellationToken)
    {
        var reports = await _details.GatherAsync(0, cancellationToken).ConfigureAwait(false);
        var nodes = reports.Select(r => r.Details is { } d
                ? new ObjectNode(r.Node, d.OwnedObjects, d.ManagedHeapBytes, d.Store is { } s ? Store(s) : null, d.StoreError, null) { JobCodeLoaded = d.JobCodeLoaded, JobCodeContexts = d.JobCodeContexts }
                : new ObjectNode(r.Node, 0, 0, null, null, r.Error))
            .ToList();
        var stores = nodes.Where(n => n.Store is not null).Select(n => n.Store!).ToList();
        var total = new ObjectTotals(
            nodes.Sum(n => n.OwnedObjects),
            nodes.Sum(n => n.ManagedHeapBytes),
            new StoreRow(
                stores.Sum(s => s.Capacity),
                stores.Sum(s => s.UsedBytes),
                stores.Sum(s => s.ObjectCount),
                stores.Sum(s => s.SpilledBytes),
                stores.Sum(s => s.SpillCount),
                stores.Sum(s => s.RestoreCount),
                stores.Sum(s => s.PullBytesReceived),
                stores.Sum(s => s.TransferBytesSent)));
        return new ObjectsView(total, nodes);

        static StoreRow Store(StoreFigures s) =>
            new(s.Capacity, s.UsedBytes, s.ObjectCount, s.SpilledBytes, s.SpillCount, s.RestoreCount, s.PullBytesReceived, s.TransferBytesSent);
    }

    /// <summary>The job table: every driver (connected, embedded, or submitted with <c>orleansray job submit</c>), newest first.</summary>
    public async Task<JobsView> JobsAsync(CancellationToken cancellationToken)
    {
        var jobs = await _grains.GetGrain<IJobTableGrain>(0).ListAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        return new JobsView(jobs.Select(JobRow.From).ToList());
    }

    internal sealed record TaskCounts(long Submitted, long Received, int Pending, int WaitingForArgs, int Running, long Finished, long Failed);

    internal sealed record TaskNode(string Node, TaskCounts? Counts, string? Error);

    internal sealed record TaskRow(string TaskId, string Function, string Node, DateTimeOffset FinishedAt, double DurationMs, string? Error);

    internal sealed record EventLogInfo(int Capacity, int Held, long Recorded);

    internal sealed record TasksView(TaskCounts Counts, IReadOnlyList<TaskNode> Nodes, IReadOnlyList<TaskRow> Latest, EventLogInfo EventLog);

    internal sealed record ActorCounts(int Alive, int Pending, int Restarting, int Dead);

    internal sealed record ActorNode(string Node, int Actors, int PendingCalls, string? Error);

    internal sealed record ActorRow(string ActorId, string Name, string Namespace, string ClassName, string State, string Node, int Restarts, bool Detached, int? PendingCalls, long? CallsRun);

    internal sealed record ActorsView(ActorCounts Counts, int Total, IReadOnlyList<ActorNode> Nodes, IReadOnlyList<ActorRow> Actors);

    internal sealed record StoreRow(long Capacity, long UsedBytes, int ObjectCount, long SpilledBytes, long SpillCount, long RestoreCount, long PullBytesReceived, long TransferBytesSent);

    internal sealed record ObjectNode(string Node, int OwnedObjects, long ManagedHeapBytes, StoreRow? Store, string? StoreError, string? Error)
    {
        /// <summary>Job code packages loaded on the node.</summary>
        public int JobCodeLoaded { get; init; }

        /// <summary>Job load contexts still in the node's memory (loaded, or unloaded and not yet collected).</summary>
        public int JobCodeContexts { get; init; }
    }

    internal sealed record ObjectTotals(int OwnedObjects, long ManagedHeapBytes, StoreRow Store);

    internal sealed record ObjectsView(ObjectTotals Total, IReadOnlyList<ObjectNode> Nodes);

    internal sealed record JobRow(string JobId, string State, string Driver, string Host, int Pid, string Entrypoint, string Namespace, DateTimeOffset StartedAt, DateTimeOffset? EndedAt, string? Message, bool Embedded)
    {
        public static JobRow From(JobInfo j) =>
            new(j.JobId, j.State.ToString().ToUpperInvariant(), j.Driver, j.Host, j.Pid, j.Entrypoint, j.Namespace, j.StartedAt, j.EndedAt, j.Message, j.Embedded);
    }

    internal sealed record JobsView(IReadOnlyList<JobRow> Jobs);
}
