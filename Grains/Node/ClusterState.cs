using System.Globalization;
using OrleansRay.Grains;
using OrleansRay.Scheduling;

namespace OrleansRay.Node;

/// <summary>The state API's cluster side (Ray's state API server): asks every live node for its tasks, actors or objects
/// at once, each filtered and cut to the limit on its node, merges the answers, and reads nodes, jobs and placement
/// groups from the control store. Shared by <c>IRay.State</c>, the <c>orleansray list/get/summary/memory</c> verbs and
/// the dashboard's <c>/api/state/*</c>, so all three agree.</summary>
/// <remarks>A node that does not answer within <see cref="NodeDeadline"/> is a warning in the answer, not a failure: its
/// rows are missing. The runtime this runs in (a connected driver's, which no node table lists) answers too, without a
/// message.</remarks>
internal sealed class ClusterState
{
    /// <summary>Ray's default <c>--limit</c>.</summary>
    public const int DefaultLimit = 100;

    /// <summary>The largest limit (Ray's <c>RAY_MAX_LIMIT_FROM_API_SERVER</c> is 10,000 too).</summary>
    public const int MaxLimit = 10_000;

    /// <summary>How long one node may take to answer.</summary>
    public static readonly TimeSpan NodeDeadline = TimeSpan.FromSeconds(5);

    private readonly IGrainFactory _grains;
    private readonly NodeRuntime? _local;

    /// <param name="grains">A silo's or a client's grain factory.</param>
    /// <param name="local">The runtime this runs in, if any (answers for itself without a message).</param>
    public ClusterState(IGrainFactory grains, NodeRuntime? local)
    {
        _grains = grains;
        _local = local;
    }

    /// <summary>Checks a limit: 1 to <see cref="MaxLimit"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside that range.</exception>
    public static int CheckLimit(int limit) => limit is >= 1 and <= MaxLimit
        ? limit
        : throw new ArgumentOutOfRangeException(nameof(limit), limit, $"The limit must be 1 to {MaxLimit.ToString(CultureInfo.InvariantCulture)} (Ray's default is {DefaultLimit.ToString(CultureInfo.InvariantCulture)}).");

    public async Task<StateList<NodeStateRow>> NodesAsync(IReadOnlyList<StateFilter> filters, int limit, CancellationToken cancellationToken)
    {
        Check(StateResource.Nodes, filters, limit);
        var table = _grains.GetGrain<INodeTableGrain>(0);
        var headTask = table.HeadAsync().WaitAsync(cancellationToken);
        var rows = await table.ListAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        var isHead = HeadMarker(rows, await headTask.ConfigureAwait(false));
        var listed = rows
            .Select(r => new NodeStateRow(r.NodeId.Value ?? string.Empty, AddressOf(r), r.IsAlive ? "ALIVE" : "DEAD", Listed(r.Total, r.IsAlive), Listed(r.Available, r.IsAlive), r.ReportedAt) { IsHeadNode = isHead(r) })
            .OrderBy(r => r.State, StringComparer.Ordinal).ThenBy(r => r.Address, StringComparer.Ordinal).ThenBy(r => r.NodeId, StringComparer.Ordinal)
            .Where(StateColumns.NodeMatcher(filters))
            .ToList();
        return new StateList<NodeStateRow>(listed.Take(limit).ToList(), listed.Count, []);
    }

    /// <summary>Which rows are the head's (Ray's <c>is_head_node</c>): the nodes started as head
    /// (<see cref="NodeStatus.StartedAsHead"/>: <c>orleansray start --head</c>, an embedded node), alive or dead, so a
    /// head restarted on a PostgreSQL cluster is the head again though the control store stayed on an older worker;
    /// when no row says so (silos an application hosts), the node the control store lives on,
    /// <paramref name="controlStore"/>.</summary>
    public static Func<NodeStatus, bool> HeadMarker(IReadOnlyCollection<NodeStatus> rows, NodeId? controlStore)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return rows.Any(r => r.StartedAsHead)
            ? static r => r.StartedAsHead
            : r => controlStore is { } head && r.NodeId == head;
    }

    /// <summary>A node's resources as its row lists them: all of them while it is alive; a dead node's without its
    /// placement-group bundles (<c>CPU_group_…</c>), which left with it (its groups are rescheduled on live nodes).</summary>
    private static Dictionary<string, double> Listed(ResourceSet resources, bool alive)
    {
        var listed = resources.ToDictionary();
        if (!alive)
        {
            listed = listed.Where(kv => !BundleKey.TryParse(kv.Key, out _, out _)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        }

        return listed;
    }

    /// <summary>A node's address as <see cref="NodeStateRow.Address"/> shows it (Ray's <c>node_ip</c>): its gateway
    /// "ip:port" when the row has one, else the host part of its node id ("10.0.0.5" of "10.0.0.5:11111@123"). Not
    /// <see cref="NodeStatus.Address"/>, which is the node's name, i.e. its id again.</summary>
    internal static string AddressOf(NodeStatus row)
    {
        if (row.Gateway is { Length: > 0 } gateway)
        {
            return gateway;
        }

        var id = row.NodeId.Value is { Length: > 0 } value ? value : row.Address;
        var endpoint = id.Split('@')[0]; // a silo address: "host:port@generation"
        var colon = endpoint.LastIndexOf(':');
        var host = colon > 0 ? endpoint[..colon] : endpoint;
        return host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
    }

    public async Task<StateList<JobStateRow>> JobsAsync(IReadOnlyList<StateFilter> filters, int limit, CancellationToken cancellationToken)
    {
        Check(StateResource.Jobs, filters, limit);
        var jobs = await _grains.GetGrain<IJobTableGrain>(0).ListAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        var listed = jobs
            .Select(j => new JobStateRow(j.JobId, j.State.ToString().ToUpperInvariant(), j.Driver, j.Host, j.Pid, j.Entrypoint, j.Namespace, j.StartedAt, j.EndedAt, j.Message))
            .Where(StateColumns.JobMatcher(filters))
            .ToList();
        return new StateList<JobStateRow>(listed.Take(limit).ToList(), listed.Count, []);
    }

    /// <summary>The placement groups holding bundles on some live node (this node's as they are now, others' as their last
    /// report has them), and those waiting for resources (PENDING, as the node table's list of pending groups has them). A removed group is not listed: the control store keeps no list of
    /// groups.</summary>
    public async Task<StateList<PlacementGroupStateRow>> PlacementGroupsAsync(IReadOnlyList<StateFilter> filters, int limit, CancellationToken cancellationToken)
    {
        Check(StateResource.PlacementGroups, filters, limit);
        var table = _grains.GetGrain<INodeTableGrain>(0);
        var rows = await table.ListAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        var pending = await table.PendingGroupsAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        var jobs = await JobColumn.ReadAsync(_grains, NodeDeadline, cancellationToken).ConfigureAwait(false);
        // This node's own bundles as they are now (a group just reserved here is in its row only at its next report).
        var local = _local?.Scheduler.Resources.Total.Items.Select(kv => kv.Key) ?? [];
        var ids = rows.Where(r => r.IsAlive)
            .SelectMany(r => r.Total.Items.Select(kv => kv.Key))
            .Concat(local)
            .Select(name => BundleKey.TryParse(name, out _, out var key) ? key.PlacementGroupId : Guid.Empty)
            .Where(id => id != Guid.Empty)
            .Concat(pending.Select(p => p.Id))
            .Distinct()
            .ToList();
        var infos = await Task.WhenAll(ids.Select(id => _grains.GetGrain<IPlacementGroupGrain>(id).GetAsync().WaitAsync(cancellationToken))).ConfigureAwait(false);
        var listed = infos.Where(i => i is not null && i.State != PlacementGroupState.Removed).Select(i => i!)
            .Select(i => new PlacementGroupStateRow(
                i.Id.ToString("N"),
                i.Spec.Name ?? string.Empty,
                i.State.ToString().ToUpperInvariant(),
                i.Spec.Strategy switch
                {
                    PlacementGroupStrategy.Spread => "SPREAD",
                    PlacementGroupStrategy.StrictPack => "STRICT_PACK",
                    PlacementGroupStrategy.StrictSpread => "STRICT_SPREAD",
                    _ => "PACK",
                },
                i.Spec.Bundles.Select(b => (IReadOnlyDictionary<string, double>)b.ToDictionary()).ToList(),
                Enumerable.Range(0, i.Spec.Bundles.Length).Select(n => n < i.BundleNodes.Length ? i.BundleNodes[n].Value ?? string.Empty : string.Empty).ToList())
            {
                CreatorJobId = jobs.JobOf(i.Spec.Job ?? string.Empty),
                IsDetached = !i.Spec.EndsWithJob, // a group of no job is kept as a detached one
            })
            .Where(StateColumns.PlacementGroupMatcher(filters))
            .OrderBy(r => r.Name, StringComparer.Ordinal).ThenBy(r => r.PlacementGroupId, StringComparer.Ordinal)
            .ToList();
        return new StateList<PlacementGroupStateRow>(listed.Take(limit).ToList(), listed.Count, jobs.Warnings);
    }

    /// <summary>Pending and running tasks first (oldest start first), then finished ones, newest first.</summary>
    public async Task<StateList<TaskStateRow>> TasksAsync(IReadOnlyList<StateFilter> filters, int limit, CancellationToken cancellationToken)
    {
        Check(StateResource.Tasks, filters, limit);
        var jobs = await JobColumn.ReadAsync(_grains, NodeDeadline, cancellationToken).ConfigureAwait(false);
        var (answers, warnings) = await AskAsync(new StateQuery { Resource = StateResource.Tasks, Filters = jobs.ForNodes(filters), Limit = limit }, cancellationToken).ConfigureAwait(false);
        var rows = answers.SelectMany(a => a.Tasks)
            .OrderBy(t => t.EndedAt is null ? 0 : 1)
            .ThenByDescending(t => t.EndedAt ?? DateTimeOffset.MinValue)
            .ThenBy(t => t.StartedAt ?? DateTimeOffset.MaxValue)
            .Take(limit)
            .Select(t => t with { JobId = jobs.JobOf(t.JobId) })
            .ToList();
        return new StateList<TaskStateRow>(rows, answers.Sum(a => a.Matched), [.. jobs.Warnings, .. warnings]);
    }

    /// <summary>The actors live nodes host (live ones and each node's latest dead ones), plus the named actors of every
    /// namespace that no node hosts (pending, or lost with their node).</summary>
    public async Task<StateList<ActorStateRow>> ActorsAsync(IReadOnlyList<StateFilter> filters, int limit, CancellationToken cancellationToken)
    {
        Check(StateResource.Actors, filters, limit);
        var jobs = await JobColumn.ReadAsync(_grains, NodeDeadline, cancellationToken).ConfigureAwait(false);
        var nodeFilters = jobs.ForNodes(filters);
        var (answers, warnings) = await AskAsync(new StateQuery { Resource = StateResource.Actors, Filters = nodeFilters, Limit = limit }, cancellationToken).ConfigureAwait(false);
        warnings = [.. jobs.Warnings, .. warnings];
        var hosted = answers.SelectMany(a => a.Actors).Select(a => a with { JobId = jobs.JobOf(a.JobId) }).ToList();
        var known = hosted.Select(a => a.ActorId).ToHashSet(StringComparer.Ordinal);
        var matched = answers.Sum(a => a.Matched);
        var alive = (await AliveAsync(cancellationToken).ConfigureAwait(false)).Select(n => n.NodeId.Value ?? string.Empty).ToHashSet(StringComparer.Ordinal);
        var (lost, lostWarning, unlisted) = await UnhostedActors.ReadAsync(_grains, known, alive, nodeFilters, limit, NodeDeadline, cancellationToken).ConfigureAwait(false);
        if (lostWarning is not null)
        {
            warnings = [.. warnings, lostWarning];
        }

        var match = StateColumns.ActorMatcher(nodeFilters); // the table's rows carry their job's driver, as the nodes' do
        var unhosted = lost.Where(match).Select(a => a with { JobId = jobs.JobOf(a.JobId) }).ToList();
        var rows = hosted.Concat(unhosted)
            .OrderBy(a => a.State switch { "ALIVE" => 0, "RESTARTING" => 1, "PENDING" => 2, _ => 3 })
            .ThenBy(a => a.ClassName, StringComparer.Ordinal).ThenBy(a => a.Name, StringComparer.Ordinal).ThenBy(a => a.ActorId, StringComparer.Ordinal)
            .Take(limit)
            .ToList();
        return new StateList<ActorStateRow>(rows, matched + unhosted.Count + unlisted, warnings);
    }

    /// <summary>Every owner's objects, by owner, largest first. The spilled column of the stored ones is their holder
    /// store's answer, asked once per holder node for the rows returned (owners do not know it: an object an owner
    /// made on another node is in that node's store).</summary>
    /// <remarks>A <c>spilled</c> filter is applied here, after the stores answered: each node then sends up to
    /// <see cref="MaxLimit"/> rows that pass its other filters.</remarks>
    public async Task<StateList<ObjectStateRow>> ObjectsAsync(IReadOnlyList<StateFilter> filters, int limit, CancellationToken cancellationToken)
    {
        Check(StateResource.Objects, filters, limit);
        var spilledFilters = filters.Where(IsSpilledFilter).ToArray();
        var query = new StateQuery
        {
            Resource = StateResource.Objects,
            Filters = filters.Where(f => !IsSpilledFilter(f)).ToArray(),
            Limit = spilledFilters.Length == 0 ? limit : MaxLimit,
        };
        var (answers, warnings) = await AskAsync(query, cancellationToken).ConfigureAwait(false);
        var ordered = answers.SelectMany(a => a.Objects)
            .OrderBy(o => o.Owner, StringComparer.Ordinal).ThenByDescending(o => o.SizeBytes).ThenBy(o => o.ObjectId, StringComparer.Ordinal);
        if (spilledFilters.Length == 0)
        {
            var (rows, spillWarnings) = await FillSpilledAsync(ordered.Take(limit).ToList(), cancellationToken).ConfigureAwait(false);
            return new StateList<ObjectStateRow>(rows, answers.Sum(a => a.Matched), [.. warnings, .. spillWarnings]);
        }

        var (all, warned) = await FillSpilledAsync(ordered.ToList(), cancellationToken).ConfigureAwait(false);
        var matched = all.Where(StateColumns.ObjectMatcher(spilledFilters)).ToList();
        if (answers.Any(a => a.Matched > query.Limit))
        {
            warned = [.. warned, $"the spilled filter saw the first {MaxLimit.ToString(CultureInfo.InvariantCulture)} objects of each owner only"];
        }

        return new StateList<ObjectStateRow>(matched.Take(limit).ToList(), matched.Count, [.. warnings, .. warned]);
    }

    /// <summary>Counts by key and state, summed over the nodes (each summarizes what it holds).</summary>
    public async Task<(IReadOnlyList<StateSummaryRow> Rows, IReadOnlyList<string> Warnings)> SummarizeAsync(StateResource resource, IReadOnlyList<StateFilter> filters, CancellationToken cancellationToken)
    {
        if (resource is not (StateResource.Tasks or StateResource.Actors or StateResource.Objects))
        {
            throw new ArgumentException($"There is no summary of {StateColumns.CliName(resource)}; summaries are of tasks, actors and objects.", nameof(resource));
        }

        if (resource == StateResource.Objects && filters.Any(IsSpilledFilter))
        {
            // Owners cannot tell (the holder stores can), and asking every store about every object is not bounded.
            throw new ArgumentException("A summary of objects cannot filter by spilled; list them instead (list objects --filter spilled=true).", nameof(filters));
        }

        StateColumns.Validate(resource, filters);
        var jobs = resource == StateResource.Objects ? null : await JobColumn.ReadAsync(_grains, NodeDeadline, cancellationToken).ConfigureAwait(false);
        var (answers, warnings) = await AskAsync(new StateQuery { Resource = resource, Filters = jobs?.ForNodes(filters) ?? filters.ToArray(), Limit = MaxLimit, Summarize = true }, cancellationToken).ConfigureAwait(false);
        var summaries = answers.SelectMany(a => a.Summary);
        if (resource == StateResource.Actors)
        {
            // Named actors lost with their node (no live node hosts them, so no node counts them), as the list shows them.
            var alive = (await AliveAsync(cancellationToken).ConfigureAwait(false)).Select(n => n.NodeId.Value ?? string.Empty).ToHashSet(StringComparer.Ordinal);
            var (named, namedWarning, _) = await UnhostedActors.ReadAsync(_grains, new HashSet<string>(), alive, jobs!.ForNodes(filters), int.MaxValue, NodeDeadline, cancellationToken).ConfigureAwait(false);
            var match = StateColumns.ActorMatcher(jobs!.ForNodes(filters));
            var lost = named.Where(r => r.Node.Length > 0 && !alive.Contains(r.Node)).Where(match);
            summaries = summaries.Concat(lost.Select(r => new StateSummaryRow(r.ClassName, r.State, 1, 0)));
            if (namedWarning is not null)
            {
                warnings = [.. warnings, namedWarning];
            }
        }

        var rows = summaries
            .GroupBy(r => (r.Key, r.State))
            .Select(g => new StateSummaryRow(g.Key.Key, g.Key.State, g.Sum(r => r.Count), g.Sum(r => r.Bytes)))
            .OrderBy(r => r.Key, StringComparer.Ordinal).ThenBy(r => r.State, StringComparer.Ordinal)
            .ToList();
        return (rows, [.. jobs?.Warnings ?? [], .. warnings]);
    }

    /// <summary>Ray's <c>ray memory</c>: the objects by owner (as <see cref="ObjectsAsync"/>), with each live node's
    /// object store figures.</summary>
    public async Task<MemoryReport> MemoryAsync(IReadOnlyList<StateFilter> filters, int limit, CancellationToken cancellationToken)
    {
        var objectsTask = ObjectsAsync(filters, limit, cancellationToken);
        var storesTask = StoresAsync(cancellationToken);
        var objects = await objectsTask.ConfigureAwait(false);
        var (stores, warnings) = await storesTask.ConfigureAwait(false);
        return new MemoryReport(objects.Rows, objects.Total, stores, [.. objects.Warnings, .. warnings]);
    }

    /// <summary>Each live node's object store figures (what <c>memory</c> and <c>status</c> show as its use), and a warning
    /// for each node that did not answer within <see cref="NodeDeadline"/>.</summary>
    public async Task<(IReadOnlyList<StoreStateRow> Stores, IReadOnlyList<string> Warnings)> StoresAsync(CancellationToken cancellationToken)
    {
        var rows = await AliveAsync(cancellationToken).ConfigureAwait(false);
        var answers = await Task.WhenAll(rows.Select(async row =>
        {
            try
            {
                var ask = row.NodeId == _local?.NodeId ? NodeDetailsReport.ReadAsync(_local, 0)
                    : row.Endpoint is { } endpoint ? endpoint.GetDetailsAsync(0)
                    : throw new InvalidOperationException("it reported no endpoint");
                var d = await ask.WaitAsync(NodeDeadline, cancellationToken).ConfigureAwait(false);
                return (Row: d.Store is { } s ? new StoreStateRow(d.Node, s.Capacity, s.UsedBytes, s.ObjectCount, s.SpilledBytes, s.SpillCount, s.RestoreCount) : null, Warning: (string?)null);
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
            {
                return (Row: (StoreStateRow?)null, Warning: $"node {row.NodeId} did not answer ({ex.GetType().Name}: {ex.Message}); its store is missing");
            }
        })).ConfigureAwait(false);
        return (answers.Where(a => a.Row is not null).Select(a => a.Row!).ToList(), answers.Where(a => a.Warning is not null).Select(a => a.Warning!).ToList());
    }

    private static bool IsSpilledFilter(StateFilter filter) => string.Equals(filter.Key, "spilled", StringComparison.OrdinalIgnoreCase);

    /// <summary>Sets the spilled column of the stored rows: one <see cref="INodeEndpoint.GetSpilledAsync"/> per node whose
    /// store holds some of them, all at once (this runtime's own store is read directly). A row whose holder node is gone,
    /// or whose store no longer holds it, keeps null; a node that does not answer in time is a warning.</summary>
    private async Task<(List<ObjectStateRow> Rows, IReadOnlyList<string> Warnings)> FillSpilledAsync(List<ObjectStateRow> rows, CancellationToken cancellationToken)
    {
        var byNode = rows.Select((row, index) => (Row: row, Index: index))
            .Where(r => r.Row.Location == "STORE" && r.Row.StoreNode.Length > 0)
            .GroupBy(r => r.Row.StoreNode, StringComparer.Ordinal)
            .ToList();
        if (byNode.Count == 0)
        {
            return (rows, []);
        }

        var alive = (await AliveAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(r => r.NodeId.Value ?? r.Address, StringComparer.Ordinal);
        var asks = byNode.Select(async group =>
        {
            var ids = group.Select(r => ObjectId.Parse(r.Row.ObjectId)).ToArray();
            try
            {
                Task<bool?[]>? ask = _local is not null && (group.Key == _local.Node.Name || (alive.TryGetValue(group.Key, out var own) && own.NodeId == _local.NodeId))
                    ? StoreResidency.SpilledAsync(_local, ids, cancellationToken)
                    : alive.TryGetValue(group.Key, out var holder) && holder.Endpoint is { } endpoint ? endpoint.GetSpilledAsync(ids)
                    : null;
                if (ask is null)
                {
                    return (string?)null; // the holder node is gone: so is the object's stored copy
                }

                var spilled = await ask.WaitAsync(NodeDeadline, cancellationToken).ConfigureAwait(false);
                var i = 0;
                foreach (var (row, index) in group)
                {
                    rows[index] = row with { Spilled = spilled[i++] };
                }

                return null;
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
            {
                return $"node {group.Key} did not say which of its stored objects are spilled ({ex.GetType().Name}: {ex.Message})";
            }
        });
        var warnings = await Task.WhenAll(asks).ConfigureAwait(false);
        return (rows, warnings.Where(w => w is not null).Select(w => w!).ToList());
    }

    private static void Check(StateResource resource, IReadOnlyList<StateFilter> filters, int limit)
    {
        ArgumentNullException.ThrowIfNull(filters);
        CheckLimit(limit);
        StateColumns.Validate(resource, filters);
    }

    private async Task<List<NodeStatus>> AliveAsync(CancellationToken cancellationToken)
    {
        var rows = await _grains.GetGrain<INodeTableGrain>(0).ListAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        return rows.Where(r => r.IsAlive).OrderBy(r => r.Address, StringComparer.Ordinal).ToList();
    }

    private async Task<IReadOnlyList<JobInfo>> RunningDriversAsync(CancellationToken cancellationToken)
    {
        try
        {
            var jobs = await _grains.GetGrain<IJobTableGrain>(0).ListAsync().WaitAsync(NodeDeadline, cancellationToken).ConfigureAwait(false);
            return jobs.Where(j => j.State == JobState.Running && j.EndedAt is null && j.Endpoint is not null).ToList();
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            // The nodes' rows are the answer; connected drivers' own rows are an addition.
            return [];
        }
    }

    /// <summary>Asks every live node (and the local runtime, when no node table row is it) at once.</summary>
    private async Task<(List<NodeStateAnswer> Answers, IReadOnlyList<string> Warnings)> AskAsync(StateQuery query, CancellationToken cancellationToken)
    {
        Check(query.Resource, query.Filters, query.Limit);
        var rows = await AliveAsync(cancellationToken).ConfigureAwait(false);
        var asks = new List<(string Who, Task<NodeStateAnswer> Answer)>();
        foreach (var row in rows)
        {
            if (_local is not null && row.NodeId == _local.NodeId)
            {
                continue;
            }

            asks.Add((row.NodeId.Value ?? row.Address, row.Endpoint is { } endpoint
                ? endpoint.QueryStateAsync(query)
                : Task.FromException<NodeStateAnswer>(new InvalidOperationException("it reported no endpoint"))));
        }

        if (_local is not null)
        {
            asks.Add((_local.Node.Name, Task.Run(() => NodeStateReport.Answer(_local, query), cancellationToken)));
        }

        // Connected drivers own the objects and tasks they submit: each running one answers through its job row's endpoint.
        foreach (var job in await RunningDriversAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_local?.Node.Endpoint is not { } own || !own.Equals(job.Endpoint))
            {
                asks.Add(("driver of " + job.JobId, job.Endpoint!.QueryStateAsync(query)));
            }
        }

        var results = await Task.WhenAll(asks.Select(async ask =>
        {
            try
            {
                return (Answer: await ask.Answer.WaitAsync(NodeDeadline, cancellationToken).ConfigureAwait(false), Warning: (string?)null);
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
            {
                return (Answer: (NodeStateAnswer?)null, Warning: $"node {ask.Who} did not answer ({ex.GetType().Name}: {ex.Message}); its rows are missing");
            }
        })).ConfigureAwait(false);
        var answers = results.Where(r => r.Answer is not null).Select(r => r.Answer!).ToList();
        IReadOnlyList<string> warnings = results.Where(r => r.Warning is not null).Select(r => r.Warning!).ToList();
        return (answers, warnings);
    }
}
