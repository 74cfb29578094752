namespace OrleansRay;

/// <summary>One node as the state API lists it (Ray's <c>ray list nodes</c> row), from the node table.</summary>
/// <param name="NodeId">The node's id.</param>
/// <param name="Address">Where the node is (Ray's <c>node_ip</c>; JSON field <c>address</c>): its gateway "ip:port", the
/// client address a connected driver dials, when the node reported one; else the host (IP) of its node id. Unlike
/// <paramref name="NodeId"/>, it names no silo port or generation.</param>
/// <param name="State"><c>ALIVE</c> or <c>DEAD</c>.</param>
/// <param name="Resources">Its total resources ("CPU", "memory", ...; bytes for memory kinds).</param>
/// <param name="Available">Its resources free at its last report.</param>
/// <param name="ReportedAt">When it last reported.</param>
public sealed record NodeStateRow(
    string NodeId,
    string Address,
    string State,
    IReadOnlyDictionary<string, double> Resources,
    IReadOnlyDictionary<string, double> Available,
    DateTimeOffset ReportedAt)
{
    /// <summary>True for the head node: the node the control store lives on, the one <c>orleansray start --head</c>
    /// started (Ray's <c>is_head_node</c>; JSON field <c>is_head_node</c>).</summary>
    public bool IsHeadNode { get; init; }
}

/// <summary>One job as the state API lists it (Ray's <c>ray list jobs</c> row), from the job table.</summary>
/// <param name="JobId">The job's id.</param>
/// <param name="State">Ray's job state: <c>PENDING</c>, <c>RUNNING</c>, <c>SUCCEEDED</c>, <c>FAILED</c> or <c>STOPPED</c>.</param>
/// <param name="Driver">The driver's worker id.</param>
/// <param name="Host">The driver's machine.</param>
/// <param name="Pid">The driver's process id.</param>
/// <param name="Entrypoint">The driver's command line.</param>
/// <param name="Namespace">Its namespace of named actors.</param>
/// <param name="StartedAt">When it started.</param>
/// <param name="EndedAt">When it ended; null while it runs.</param>
/// <param name="Message">Why it ended as it did, when known.</param>
public sealed record JobStateRow(
    string JobId,
    string State,
    string Driver,
    string Host,
    int Pid,
    string Entrypoint,
    string Namespace,
    DateTimeOffset StartedAt,
    DateTimeOffset? EndedAt,
    string? Message);

/// <summary>One placement group as the state API lists it (Ray's <c>ray list placement-groups</c> row).</summary>
/// <param name="PlacementGroupId">The group's id.</param>
/// <param name="Name">Its name; empty when none.</param>
/// <param name="State">Ray's state: <c>PENDING</c>, <c>CREATED</c>, <c>REMOVED</c> or <c>RESCHEDULING</c>.</param>
/// <param name="Strategy"><c>PACK</c>, <c>SPREAD</c>, <c>STRICT_PACK</c> or <c>STRICT_SPREAD</c>.</param>
/// <param name="Bundles">Each bundle's resources, by index.</param>
/// <param name="BundleNodes">The node holding each bundle, by index (empty for one not reserved).</param>
public sealed record PlacementGroupStateRow(
    string PlacementGroupId,
    string Name,
    string State,
    string Strategy,
    IReadOnlyList<IReadOnlyDictionary<string, double>> Bundles,
    IReadOnlyList<string> BundleNodes)
{
    /// <summary>The job that created the group (Ray's <c>creator_job_id</c>; JSON field <c>creator_job_id</c>), as
    /// <c>list jobs</c> shows it: the driver's job, also for a group a task or actor method of the job created. Empty for
    /// a group no job created (code outside any job) or of a job the job table no longer lists.</summary>
    public string CreatorJobId { get; init; } = string.Empty;

    /// <summary>True for a group that outlives its job (Ray's <c>is_detached</c>; JSON field <c>is_detached</c>): created
    /// detached, or by no job; it stays until removed. False for a group removed when <see cref="CreatorJobId"/> ends.</summary>
    public bool IsDetached { get; init; }
}

/// <summary>A state listing (Ray's <c>ray list</c> output): the rows, how many matched in all, and the nodes that did not
/// answer.</summary>
/// <typeparam name="T">The row type.</typeparam>
/// <param name="Rows">At most the limit's rows.</param>
/// <param name="Total">Rows that matched the filters on the nodes that answered, before the limit.</param>
/// <param name="Warnings">One line per node that did not answer in time (its rows are missing), or other partial data.</param>
public sealed record StateList<T>(IReadOnlyList<T> Rows, int Total, IReadOnlyList<string> Warnings)
{
    /// <summary>True when the limit cut rows off (Ray warns "Limit last reached").</summary>
    public bool Truncated => Total > Rows.Count;

    /// <summary>The members as <c>ToString()</c> prints them: the number of rows (not the list's type name), the total
    /// and the warnings.</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append(System.Globalization.CultureInfo.InvariantCulture, $"Rows = {Rows?.Count ?? 0} {typeof(T).Name}(s), Total = {Total}, Warnings = [{string.Join("; ", Warnings ?? [])}]");
        return true;
    }
}

/// <summary>Ray's <c>ray memory</c>: the objects by owner, with the object stores' figures.</summary>
/// <param name="Objects">The objects (at most the limit), ordered by owner, then size (largest first).</param>
/// <param name="Total">Objects that matched, before the limit.</param>
/// <param name="Stores">Each live node's object store.</param>
/// <param name="Warnings">Nodes that did not answer.</param>
public sealed record MemoryReport(
    IReadOnlyList<ObjectStateRow> Objects,
    int Total,
    IReadOnlyList<StoreStateRow> Stores,
    IReadOnlyList<string> Warnings)
{
    /// <summary>How many of <see cref="Objects"/> their holder store has spilled to disk now (rows whose
    /// <see cref="ObjectStateRow.Spilled"/> is true); the stores' own totals are in <see cref="Stores"/>.</summary>
    public int SpilledObjects => Objects.Count(o => o.Spilled == true);

    /// <summary>The stored bytes of the spilled objects among <see cref="Objects"/>.</summary>
    public long SpilledObjectBytes => Objects.Where(o => o.Spilled == true).Sum(o => Math.Max(0, o.SizeBytes));
}

/// <summary>One node's object store in a <see cref="MemoryReport"/>.</summary>
/// <param name="Node">The node.</param>
/// <param name="CapacityBytes">The store's size.</param>
/// <param name="UsedBytes">Bytes of objects in memory.</param>
/// <param name="ObjectCount">Objects held, in memory or spilled.</param>
/// <param name="SpilledBytes">Bytes spilled to disk now.</param>
/// <param name="SpillCount">Objects spilled since start.</param>
/// <param name="RestoreCount">Objects restored from disk since start.</param>
public sealed record StoreStateRow(string Node, long CapacityBytes, long UsedBytes, int ObjectCount, long SpilledBytes, long SpillCount, long RestoreCount);

/// <summary>A summary (Ray's <c>ray summary tasks|actors|objects</c>): counts by key and state, and the nodes that did not
/// answer.</summary>
/// <param name="Rows">One row per key and state, ordered by key.</param>
/// <param name="Warnings">One line per node that did not answer in time (its counts are missing).</param>
public sealed record StateSummary(IReadOnlyList<StateSummaryRow> Rows, IReadOnlyList<string> Warnings);
