namespace OrleansRay;

/// <summary>Ray's state API (<c>ray.util.state</c>: <c>list_tasks</c>, <c>get_actor</c>, <c>summarize_tasks</c>, ...,
/// and <c>ray memory</c>): what the cluster's nodes, jobs, actors, tasks, objects and placement groups are doing now.
/// The <c>orleansray list|get|summary|memory</c> verbs and the dashboard's <c>/api/state/*</c> return the same data.</summary>
/// <remarks>
/// Each live node filters what it holds and sends at most the limit's rows; the answers are merged here. Finished
/// tasks come from each node's bounded event log (the latest 10,000 per node by default), so a cluster that ran
/// millions of tasks answers from bounded memory; older finished tasks are not listed (Ray's GCS drops them too). A
/// node that does not answer within 5 s is named in the answer's warnings, its rows missing. Obtained from
/// <see cref="IRay.State"/>; thread-safe.
/// </remarks>
public interface IRayState
{
    /// <summary>Every node the cluster knows, alive first (Ray's <c>list_nodes</c>). Filter keys: node_id, node_ip, state.</summary>
    /// <exception cref="ArgumentException">A filter key is not a column, or a state value is not a node state.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The limit is not 1 to 10,000.</exception>
    Task<StateList<NodeStateRow>> ListNodesAsync(StateListOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>The job table, newest first (Ray's <c>list_jobs</c>). Filter keys: job_id, status (or state), driver, ray_namespace.</summary>
    /// <exception cref="ArgumentException">A filter key is not a column, or a state value is not a job state.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The limit is not 1 to 10,000.</exception>
    Task<StateList<JobStateRow>> ListJobsAsync(StateListOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Actors the nodes host (live, and each node's latest dead ones), the actors the actor table last saw on a
    /// node that is gone (DEAD, or RESTARTING until a call rebuilds them), and named actors of every namespace no node
    /// hosts (Ray's <c>list_actors</c>). Filter keys: actor_id, class_name, name, ray_namespace, state, node_id, job_id.</summary>
    /// <exception cref="ArgumentException">A filter key is not a column, or a state value is not an actor state.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The limit is not 1 to 10,000.</exception>
    Task<StateList<ActorStateRow>> ListActorsAsync(StateListOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Tasks: pending and running ones first, then finished ones newest first (Ray's <c>list_tasks</c>). A
    /// failed task carries its error's type and message. Filter keys: task_id, name, func_or_class_name, state,
    /// node_id, attempt_number, error_type. Actor method calls are not listed as tasks.</summary>
    /// <exception cref="ArgumentException">A filter key is not a column, or a state value is not a task state.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The limit is not 1 to 10,000.</exception>
    Task<StateList<TaskStateRow>> ListTasksAsync(StateListOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Objects by their owners' records, by owner and largest first (Ray's <c>list_objects</c>). Filter keys:
    /// object_id, owner, task_status, reference_type, type, location, node_id, spilled.</summary>
    /// <exception cref="ArgumentException">A filter key is not a column, or a value is not valid for it.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The limit is not 1 to 10,000.</exception>
    Task<StateList<ObjectStateRow>> ListObjectsAsync(StateListOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Placement groups holding bundles on a live node (Ray's <c>list_placement_groups</c>); a group whose
    /// bundles no node holds (pending, or removed) is not listed. Filter keys: placement_group_id, name, state, strategy.</summary>
    /// <exception cref="ArgumentException">A filter key is not a column, or a state value is not a group state.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The limit is not 1 to 10,000.</exception>
    Task<StateList<PlacementGroupStateRow>> ListPlacementGroupsAsync(StateListOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>One actor by id (Ray's <c>get_actor</c>); null when no node hosts it and the directory does not name it.</summary>
    /// <exception cref="ArgumentException"><paramref name="actorId"/> is empty.</exception>
    Task<ActorStateRow?> GetActorAsync(string actorId, CancellationToken cancellationToken = default);

    /// <summary>Tasks by function name and state (Ray's <c>summarize_tasks</c>), over every task the nodes hold.</summary>
    Task<StateSummary> SummarizeTasksAsync(CancellationToken cancellationToken = default);

    /// <summary>Actors by class and state (Ray's <c>summarize_actors</c>).</summary>
    Task<StateSummary> SummarizeActorsAsync(CancellationToken cancellationToken = default);

    /// <summary>Objects by reference type and task status, with their stored bytes (Ray's <c>summarize_objects</c>).</summary>
    Task<StateSummary> SummarizeObjectsAsync(CancellationToken cancellationToken = default);

    /// <summary>Ray's <c>ray memory</c>: the objects by owner (size, reference type, where stored, whether spilled now:
    /// each holder store is asked once for the rows returned) and each node's object store (used, spilled bytes and
    /// counts).</summary>
    /// <exception cref="ArgumentException">A filter key is not an object column.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The limit is not 1 to 10,000.</exception>
    Task<MemoryReport> MemoryAsync(StateListOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Ray's <c>ray.timeline()</c>: the cluster's finished tasks as timeline events, each on its node and on a
    /// lane of it (tasks on one lane never overlap), ordered by start. <see cref="ChromeTrace.WriteAsync"/> writes them as
    /// a file for <c>chrome://tracing</c> or Perfetto; <c>orleansray timeline</c> does both.</summary>
    /// <remarks>The events come from what <see cref="ListTasksAsync"/> lists as <c>FINISHED</c> or <c>FAILED</c>: each node's
    /// latest finished tasks (10,000 per node by default), the newest first up to the limit. Actor method calls are not
    /// on it (the state API does not list them as tasks). Filters are task filters (<c>job_id=…</c>, <c>name=…</c>,
    /// <c>node_id=…</c>, <c>state=FAILED</c>); the rows' total counts the finished tasks that matched before the limit,
    /// and the warnings name nodes that did not answer within 5 s.</remarks>
    /// <param name="options">Task filters and the most events; null for no filter and 10,000 events (the state API's
    /// largest limit, where a listing's default is 100).</param>
    /// <param name="cancellationToken">Stops the wait for the nodes' answers.</param>
    /// <exception cref="ArgumentException">A filter key is not a task column.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The limit is not 1 to 10,000.</exception>
    Task<StateList<TimelineEvent>> TimelineAsync(StateListOptions? options = null, CancellationToken cancellationToken = default);
}

/// <summary>Filters and limit of a state listing (Ray's <c>filters=[("state", "=", "FAILED")]</c>, <c>limit=100</c>).</summary>
public sealed record StateListOptions
{
    /// <summary>Filters that must all hold; build them with <see cref="StateFilter.Parse"/> ("state=FAILED") or the
    /// constructor. Default: none.</summary>
    public IReadOnlyList<StateFilter> Filters { get; init; } = [];

    /// <summary>The most rows returned, 1 to 10,000. Default 100 (Ray's).</summary>
    public int Limit { get; init; } = 100;

    /// <summary>Options with the filters written as Ray writes them: <c>StateListOptions.Where("state=FAILED", "name!=f")</c>.</summary>
    /// <exception cref="ArgumentException">A filter is not key=value or key!=value.</exception>
    public static StateListOptions Where(params string[] filters)
    {
        ArgumentNullException.ThrowIfNull(filters);
        return new StateListOptions { Filters = filters.Select(StateFilter.Parse).ToList() };
    }
}
