using System.Globalization;

namespace OrleansRay.Node;

/// <summary>The filterable columns of each state resource, in Ray's snake_case names, and the filters' matching: one
/// place shared by the nodes (which filter before sending), the typed API, the CLI and the dashboard.</summary>
internal static class StateColumns
{
    /// <summary>Ray's task states, as listed.</summary>
    public static readonly string[] TaskStates = ["PENDING_ARGS_AVAIL", "PENDING_NODE_ASSIGNMENT", "SUBMITTED_TO_WORKER", "RUNNING", "FINISHED", "FAILED"];

    public static readonly string[] ActorStates = ["PENDING", "ALIVE", "RESTARTING", "DEAD"];

    public static readonly string[] NodeStates = ["ALIVE", "DEAD"];

    public static readonly string[] JobStates = ["PENDING", "RUNNING", "SUCCEEDED", "FAILED", "STOPPED"];

    public static readonly string[] PlacementGroupStates = ["PENDING", "CREATED", "REMOVED", "RESCHEDULING"];

    public static readonly string[] ObjectStatuses = ["PENDING", "FINISHED", "FAILED"];

    public static readonly string[] ReferenceTypes = ["LOCAL_REFERENCE", "USED_BY_PENDING_TASK", "PINNED_IN_MEMORY"];

    private static readonly Dictionary<string, Func<TaskStateRow, string?>> Tasks = new(StringComparer.OrdinalIgnoreCase)
    {
        ["task_id"] = r => r.TaskId,
        ["name"] = r => r.Name,
        ["func_or_class_name"] = r => r.Name,
        ["state"] = r => r.State,
        ["node_id"] = r => r.Node,
        ["attempt_number"] = r => r.Attempt.ToString(CultureInfo.InvariantCulture),
        ["error_type"] = r => r.ErrorType,
    };

    private static readonly Dictionary<string, Func<ActorStateRow, string?>> Actors = new(StringComparer.OrdinalIgnoreCase)
    {
        ["actor_id"] = r => r.ActorId,
        ["class_name"] = r => r.ClassName,
        ["name"] = r => r.Name,
        ["ray_namespace"] = r => r.Namespace,
        ["state"] = r => r.State,
        ["node_id"] = r => r.Node,
    };

    private static readonly Dictionary<string, Func<ObjectStateRow, string?>> Objects = new(StringComparer.OrdinalIgnoreCase)
    {
        ["object_id"] = r => r.ObjectId,
        ["owner"] = r => r.Owner,
        ["task_status"] = r => r.Status,
        ["reference_type"] = r => r.ReferenceType,
        ["type"] = r => r.Origin,
        ["location"] = r => r.Location,
        ["node_id"] = r => r.StoreNode,
        ["spilled"] = r => r.Spilled is { } s ? (s ? "true" : "false") : null,
    };

    private static readonly Dictionary<string, Func<NodeStateRow, string?>> Nodes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["node_id"] = r => r.NodeId,
        ["node_ip"] = r => r.Address,
        ["state"] = r => r.State,
    };

    private static readonly Dictionary<string, Func<JobStateRow, string?>> Jobs = new(StringComparer.OrdinalIgnoreCase)
    {
        ["job_id"] = r => r.JobId,
        ["status"] = r => r.State,
        ["state"] = r => r.State,
        ["driver"] = r => r.Driver,
        ["ray_namespace"] = r => r.Namespace,
    };

    private static readonly Dictionary<string, Func<PlacementGroupStateRow, string?>> PlacementGroups = new(StringComparer.OrdinalIgnoreCase)
    {
        ["placement_group_id"] = r => r.PlacementGroupId,
        ["name"] = r => r.Name,
        ["state"] = r => r.State,
        ["strategy"] = r => r.Strategy,
    };

    /// <summary>The keys <paramref name="resource"/> can be filtered by.</summary>
    public static IReadOnlyList<string> Keys(StateResource resource) => resource switch
    {
        StateResource.Tasks => Tasks.Keys.ToList(),
        StateResource.Actors => Actors.Keys.ToList(),
        StateResource.Objects => Objects.Keys.ToList(),
        StateResource.Nodes => Nodes.Keys.ToList(),
        StateResource.Jobs => Jobs.Keys.ToList(),
        StateResource.PlacementGroups => PlacementGroups.Keys.ToList(),
        _ => throw new ArgumentOutOfRangeException(nameof(resource), resource, "Unknown state resource."),
    };

    /// <summary>Ray's name of a resource on the command line ("placement-groups").</summary>
    public static string CliName(StateResource resource) => resource == StateResource.PlacementGroups ? "placement-groups" : resource.ToString().ToLowerInvariant();

    /// <summary>Checks filters before any node is asked: every key is a column of <paramref name="resource"/>, and a
    /// state-like column's value is one of its states.</summary>
    /// <exception cref="ArgumentException">A key is not a column, or a value is not a valid state; the message names the
    /// valid choices.</exception>
    public static void Validate(StateResource resource, IEnumerable<StateFilter> filters)
    {
        ArgumentNullException.ThrowIfNull(filters);
        var keys = Keys(resource);
        foreach (var filter in filters)
        {
            ArgumentNullException.ThrowIfNull(filter, nameof(filters));
            if (!keys.Contains(filter.Key, StringComparer.OrdinalIgnoreCase))
            {
                throw new ArgumentException($"Filter key '{filter.Key}' is not a column of {CliName(resource)}; valid keys: {string.Join(", ", keys)}.", nameof(filters));
            }

            if (ValuesOf(resource, filter.Key) is { } valid && !valid.Contains(filter.Value, StringComparer.OrdinalIgnoreCase))
            {
                throw new ArgumentException($"Filter value '{filter.Value}' for {filter.Key} of {CliName(resource)} is not valid; valid values: {string.Join(", ", valid)}.", nameof(filters));
            }
        }
    }

    private static string[]? ValuesOf(StateResource resource, string key) => (resource, key.ToLowerInvariant()) switch
    {
        (StateResource.Tasks, "state") => TaskStates,
        (StateResource.Actors, "state") => ActorStates,
        (StateResource.Nodes, "state") => NodeStates,
        (StateResource.Jobs, "state" or "status") => JobStates,
        (StateResource.PlacementGroups, "state") => PlacementGroupStates,
        (StateResource.Objects, "task_status") => ObjectStatuses,
        (StateResource.Objects, "reference_type") => ReferenceTypes,
        (StateResource.Objects, "spilled") => ["true", "false"],
        _ => null,
    };

    public static Func<TaskStateRow, bool> TaskMatcher(IReadOnlyList<StateFilter> filters) => Build(Tasks, filters);

    public static Func<ActorStateRow, bool> ActorMatcher(IReadOnlyList<StateFilter> filters) => Build(Actors, filters);

    public static Func<ObjectStateRow, bool> ObjectMatcher(IReadOnlyList<StateFilter> filters) => Build(Objects, filters);

    public static Func<NodeStateRow, bool> NodeMatcher(IReadOnlyList<StateFilter> filters) => Build(Nodes, filters);

    public static Func<JobStateRow, bool> JobMatcher(IReadOnlyList<StateFilter> filters) => Build(Jobs, filters);

    public static Func<PlacementGroupStateRow, bool> PlacementGroupMatcher(IReadOnlyList<StateFilter> filters) => Build(PlacementGroups, filters);

    private static Func<T, bool> Build<T>(Dictionary<string, Func<T, string?>> columns, IReadOnlyList<StateFilter> filters)
    {
        if (filters.Count == 0)
        {
            return static _ => true;
        }

        var checks = filters
            .Where(f => columns.ContainsKey(f.Key))
            .Select(f => (Column: columns[f.Key], f.Value, Equal: f.Predicate == StatePredicate.Equal))
            .ToArray();
        return row =>
        {
            foreach (var (column, value, equal) in checks)
            {
                if (string.Equals(column(row) ?? string.Empty, value, StringComparison.OrdinalIgnoreCase) != equal)
                {
                    return false;
                }
            }

            return true;
        };
    }
}
