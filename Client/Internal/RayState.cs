using OrleansRay.Node;

namespace OrleansRay;

/// <summary>The driver's <see cref="IRayState"/>: <see cref="ClusterState"/> over its runtime (which answers for itself:
/// a connected driver's tasks waiting for a node and the objects it owns are listed too).</summary>
internal sealed class RayState : IRayState
{
    private readonly ClusterState _cluster;
    private readonly NodeRuntime _runtime;
    private readonly Action _throwIfDisposed;

    /// <param name="runtime">The runtime asked.</param>
    /// <param name="throwIfDisposed">The owning IRay's check (its own disposal, or its node's).</param>
    public RayState(NodeRuntime runtime, Action throwIfDisposed)
    {
        _throwIfDisposed = throwIfDisposed;
        _runtime = runtime;
        _cluster = new ClusterState(runtime.GrainFactory, runtime);
    }

    /// <summary>The cluster's state, asked through this runtime; once its IRay is disposed, the one exception of every IRay call.</summary>
    private ClusterState Cluster
    {
        get
        {
            _throwIfDisposed();
            return _cluster;
        }
    }

    public Task<StateList<NodeStateRow>> ListNodesAsync(StateListOptions? options = null, CancellationToken cancellationToken = default) =>
        ClusterCalls.RunAsync(_runtime, Cluster.NodesAsync(Filters(options), Limit(options), cancellationToken));

    public Task<StateList<JobStateRow>> ListJobsAsync(StateListOptions? options = null, CancellationToken cancellationToken = default) =>
        ClusterCalls.RunAsync(_runtime, Cluster.JobsAsync(Filters(options), Limit(options), cancellationToken));

    public Task<StateList<ActorStateRow>> ListActorsAsync(StateListOptions? options = null, CancellationToken cancellationToken = default) =>
        ClusterCalls.RunAsync(_runtime, Cluster.ActorsAsync(Filters(options), Limit(options), cancellationToken));

    public Task<StateList<TaskStateRow>> ListTasksAsync(StateListOptions? options = null, CancellationToken cancellationToken = default) =>
        ClusterCalls.RunAsync(_runtime, Cluster.TasksAsync(Filters(options), Limit(options), cancellationToken));

    public Task<StateList<ObjectStateRow>> ListObjectsAsync(StateListOptions? options = null, CancellationToken cancellationToken = default) =>
        ClusterCalls.RunAsync(_runtime, Cluster.ObjectsAsync(Filters(options), Limit(options), cancellationToken));

    public Task<StateList<PlacementGroupStateRow>> ListPlacementGroupsAsync(StateListOptions? options = null, CancellationToken cancellationToken = default) =>
        ClusterCalls.RunAsync(_runtime, Cluster.PlacementGroupsAsync(Filters(options), Limit(options), cancellationToken));

    public async Task<ActorStateRow?> GetActorAsync(string actorId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actorId);
        var found = await ClusterCalls.RunAsync(_runtime, Cluster.ActorsAsync([new StateFilter("actor_id", StatePredicate.Equal, actorId.Trim())], 1, cancellationToken)).ConfigureAwait(false);
        return found.Rows.Count > 0 ? found.Rows[0] : null;
    }

    public Task<StateSummary> SummarizeTasksAsync(CancellationToken cancellationToken = default) => SummarizeAsync(StateResource.Tasks, cancellationToken);

    public Task<StateSummary> SummarizeActorsAsync(CancellationToken cancellationToken = default) => SummarizeAsync(StateResource.Actors, cancellationToken);

    public Task<StateSummary> SummarizeObjectsAsync(CancellationToken cancellationToken = default) => SummarizeAsync(StateResource.Objects, cancellationToken);

    public Task<MemoryReport> MemoryAsync(StateListOptions? options = null, CancellationToken cancellationToken = default) =>
        ClusterCalls.RunAsync(_runtime, Cluster.MemoryAsync(Filters(options), Limit(options), cancellationToken));

    public Task<StateList<TimelineEvent>> TimelineAsync(StateListOptions? options = null, CancellationToken cancellationToken = default) =>
        ClusterCalls.RunAsync(_runtime, TimelineBuilder.ReadAsync(Cluster, Filters(options), options?.Limit ?? ClusterState.MaxLimit, cancellationToken));

    private async Task<StateSummary> SummarizeAsync(StateResource resource, CancellationToken cancellationToken)
    {
        var (rows, warnings) = await ClusterCalls.RunAsync(_runtime, Cluster.SummarizeAsync(resource, [], cancellationToken)).ConfigureAwait(false);
        return new StateSummary(rows, warnings);
    }

    private static IReadOnlyList<StateFilter> Filters(StateListOptions? options) => options?.Filters ?? [];

    private static int Limit(StateListOptions? options) => options?.Limit ?? ClusterState.DefaultLimit;
}
