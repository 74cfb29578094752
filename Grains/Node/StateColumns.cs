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
        ["job_id"] = r => r.JobId,
        ["node"] = r => r.Node, // the JSON field names (Aliases)
        ["attempt"] = r => r.Attempt.ToString(CultureInfo.InvariantCulture),
    };

    private static readonly Dictionary<string, Func<ActorStateRow, string?>> Actors = new(ActorStateColumns.Map, StringComparer.OrdinalIgnoreCase);

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
        ["status"] = r => r.Status,
        ["origin"] = r => r.Origin,
        ["store_node"] = r => r.StoreNode,
    };

    private static readonly Dictionary<string, Func<NodeStateRow, string?>> Nodes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["node_id"] = r => r.NodeId,
        ["node_ip"] = r => HostOf(r.Address), // Ray's node_ip is an address without a port
        ["address"] = r => r.Address, // the JSON field name: "host:port" as the row shows it
        ["state"] = r => r.State,
        ["is_head_node"] = r => r.IsHeadNode ? "true" : "false",
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
        ["creator_job_id"] = r => r.CreatorJobId,
        ["is_detached"] = r => r.IsDetached ? "true" : "false",
    };

    /// <summary>Filter keys that are a row's JSON field name (what <c>--format json</c> and <c>/api/state</c> print) for
    /// a column whose Ray name differs, mapped to that Ray name: a filter may use either. Not listed by <see cref="Keys"/>.</summary>
    private static readonly Dictionary<(StateResource Resource, string Key), string> Aliases = new()
    {
        [(StateResource.Tasks, "node")] = "node_id",
        [(StateResource.Tasks, "attempt")] = "attempt_number",
        [(StateResource.Actors, "node")] = "node_id",
        [(StateResource.Actors, "namespace")] = "ray_namespace",
        [(StateResource.Objects, "status")] = "task_status",
        [(StateResource.Objects, "origin")] = "type",
        [(StateResource.Objects, "store_node")] = "node_id",
    };

    /// <summary>The keys <paramref name="resource"/> can be filtered by, in Ray's names. A row's JSON field name works as
    /// a key too where it differs (<c>node</c> for <c>node_id</c>, <c>attempt</c> for <c>attempt_number</c>, an object's
    /// <c>status</c> for <c>task_status</c>).</summary>
    public static IReadOnlyList<string> Keys(StateResource resource) => AllKeys(resource).Where(k => !Aliases.ContainsKey((resource, k))).ToList();

    private static IEnumerable<string> AllKeys(StateResource resource) => resource switch
    {
        StateResource.Tasks => Tasks.Keys,
        StateResource.Actors => Actors.Keys,
        StateResource.Objects => Objects.Keys,
        StateResource.Nodes => Nodes.Keys,
        StateResource.Jobs => Jobs.Keys,
        StateResource.PlacementGroups => PlacementGroups.Keys,
        _ => throw new ArgumentOutOfRangeException(nameof(resource), resource, "Unknown state resource."),
    };

    /// <summary>The host of a node row's address: "10.0.0.5" of "10.0.0.5:30000", "::1" of "[::1]:30000"; an address
    /// without a port ("10.0.0.5", "fe80::1") is its own host.</summary>
    internal static string HostOf(string address)
    {
        if (address.StartsWith('[') && address.IndexOf(']', StringComparison.Ordinal) is var close and > 0)
        {
            return address[1..close];
        }

        var colon = address.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && colon == address.LastIndexOf(':') ? address[..colon] : address;
    }

    /// <summary>Ray's name of <paramref name="key"/> (itself unless it is a JSON field name's alias).</summary>
    private static string RayName(StateResource resource, string key) =>
        Aliases.TryGetValue((resource, key.ToLowerInvariant()), out var name) ? name : key.ToLowerInvariant();

    /// <summary>Ray's name of a resource on the command line ("placement-groups").</summary>
    public static string CliName(StateResource resource) => resource == StateResource.PlacementGroups ? "placement-groups" : resource.ToString().ToLowerInvariant();

    /// <summary>Checks filters before any node is asked: every key is a column of <paramref name="resource"/>, and a
    /// state-like column's value is one of its states.</summary>
    /// <exception cref="ArgumentException">A key is not a column, or a value is not a valid state; the message names the
    /// valid choices.</exception>
    public static void Validate(StateResource resource, IEnumerable<StateFilter> filters)
    {
        ArgumentNullException.ThrowIfNull(filters);
        var keys = AllKeys(resource).ToList();
        foreach (var filter in filters)
        {
            ArgumentNullException.ThrowIfNull(filter, nameof(filters));
            if (!keys.Contains(filter.Key, StringComparer.OrdinalIgnoreCase))
            {
                throw new ArgumentException($"Filter key '{filter.Key}' is not a column of {CliName(resource)}; valid keys: {string.Join(", ", Keys(resource))}.", nameof(filters));
            }

            var key = RayName(resource, filter.Key);
            if (ValuesOf(resource, key) is { } valid && !valid.Contains(filter.Value, StringComparer.OrdinalIgnoreCase))
            {
                throw new ArgumentException($"Filter value '{filter.Value}' for {filter.Key} of {CliName(resource)} is not valid; valid values: {string.Join(", ", valid)}.", nameof(filters));
            }

            if (IsNumber(resource, key) && !int.TryParse(filter.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
            {
                throw new ArgumentException($"Filter value '{filter.Value}' for {filter.Key} of {CliName(resource)} is not valid: it takes a whole number, e.g. {filter.Key}=0.", nameof(filters));
            }
        }
    }

    private static bool IsNumber(StateResource resource, string rayName) => (resource, rayName) is (StateResource.Tasks, "attempt_number");

    private static string[]? ValuesOf(StateResource resource, string rayName) => (resource, rayName) switch
    {
        (StateResource.Tasks, "state") => TaskStates,
        (StateResource.Actors, "state") => ActorStates,
        (StateResource.Nodes, "state") => NodeStates,
        (StateResource.Jobs, "state" or "status") => JobStates,
        (StateResource.PlacementGroups, "state") => PlacementGroupStates,
        (StateResource.Objects, "task_status") => ObjectStatuses,
        (StateResource.Objects, "reference_type") => ReferenceTypes,
        (StateResource.Objects, "spilled") => ["true", "false"],
        (StateResource.Nodes, "is_head_node") => ["true", "false"],
        (StateResource.PlacementGroups, "is_detached") => ["true", "false"],
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
