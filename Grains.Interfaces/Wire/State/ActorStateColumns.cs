namespace OrleansRay;

/// <summary>The filter keys of actor rows (Ray's <c>ray list actors --filter</c> keys, and the JSON names that differ)
/// and how a row is matched, shared by the nodes and the actor table so both filter alike.</summary>
public static class ActorStateColumns
{
    /// <summary>Each key (case-insensitive) and the row's value it compares.</summary>
    public static IReadOnlyDictionary<string, Func<ActorStateRow, string?>> Map { get; } = new Dictionary<string, Func<ActorStateRow, string?>>(StringComparer.OrdinalIgnoreCase)
    {
        ["actor_id"] = r => r.ActorId,
        ["class_name"] = r => r.ClassName,
        ["name"] = r => r.Name,
        ["ray_namespace"] = r => r.Namespace,
        ["state"] = r => r.State,
        ["node_id"] = r => r.Node,
        ["job_id"] = r => r.JobId,
        ["namespace"] = r => r.Namespace,
        ["node"] = r => r.Node,
    };

    /// <summary>Whether <paramref name="row"/> passes every filter whose key is in <paramref name="keys"/> (all when
    /// null); values compare case-insensitively, an unknown key is ignored (checked before a query is sent).</summary>
    public static bool Matches(ActorStateRow row, IReadOnlyList<StateFilter> filters, IReadOnlySet<string>? keys = null)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(filters);
        foreach (var filter in filters)
        {
            if ((keys is null || keys.Contains(filter.Key)) && Map.TryGetValue(filter.Key, out var column)
                && string.Equals(column(row) ?? string.Empty, filter.Value, StringComparison.OrdinalIgnoreCase) != (filter.Predicate == StatePredicate.Equal))
            {
                return false;
            }
        }

        return true;
    }
}
