using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Serialization;
using Orleans.Storage;
using OrleansRay.Grains;

namespace OrleansRay.ControlStore;

/// <summary>One actor's row in the actor table. The creation spec is kept as Orleans-serialized bytes: it holds
/// constructor arguments of any serializable type, and a row is decoded only when its actor is rebuilt.</summary>
[GenerateSerializer, Alias("orleansray.actorrow")]
public sealed class ActorRow
{
    /// <summary>The serialized <see cref="ActorCreationSpec"/>; null when only a report reached the table.</summary>
    [Id(0)] public byte[]? Spec { get; set; }

    /// <summary>Restarts counted so far.</summary>
    [Id(1)] public int Restarts { get; set; }

    /// <summary>The <see cref="ActorState"/>.</summary>
    [Id(2)] public ActorState State { get; set; }

    /// <summary>The node that reported last.</summary>
    [Id(3)] public string Node { get; set; } = string.Empty;

    /// <summary>The activation of the control store (<see cref="ActorTableGrain"/>'s incarnation) that created or last
    /// restarted the actor; another one means the control store itself restarted since (a head restarted on
    /// PostgreSQL), so the actor did not die of a node failure this table saw.</summary>
    [Id(4)] public Guid Incarnation { get; set; }

    /// <summary>Restarts (of <see cref="Restarts"/>) that rebuilt a detached actor after the control store restarted:
    /// they do not count against <c>MaxRestarts</c>.</summary>
    [Id(5)] public int ClusterRestarts { get; set; }
}

/// <summary>The rows of one actor-table shard, as stored.</summary>
[GenerateSerializer, Alias("orleansray.actortablerows")]
public sealed class ActorTableRows
{
    /// <summary>Rows by actor id (<see cref="ActorId.ToGuid"/>).</summary>
    [Id(0)] public Dictionary<Guid, ActorRow> Rows { get; set; } = new();

    /// <summary>Dead actors in the order they died, oldest first (some may have left <see cref="Rows"/> since).</summary>
    [Id(1)] public List<Guid> Deaths { get; set; } = new();
}

/// <summary>One shard of the actor table; see <see cref="IActorTableGrain"/>.</summary>
/// <remarks>The rows are held in the activation (on the head, never collected) and written through to grain storage
/// after each batch when that storage outlives the head (PostgreSQL); the head's own memory storage would only hold a
/// second copy that dies with it, so nothing is written there. A write that fails is logged and the in-memory rows stay
/// authoritative.</remarks>
[HeadPlacement]
[KeepAlive]
[GrainType("orleansray.actortable")] // not Orleans' default "actortable": an application grain class of that name would clash (hosting)
internal sealed partial class ActorTableGrain : Grain, IActorTableGrain
{
    private readonly PersistedRows<ActorTableRows> _stored;
    private readonly Serializer _serializer;
    private readonly ILogger<ActorTableGrain> _logger;
    private ActorTableRows _table = new();
    private bool _durable;

    /// <summary>This activation (<see cref="ActorRow.Incarnation"/>); the shard is kept alive on the head, so a new one
    /// means the control store restarted.</summary>
    private readonly Guid _incarnation = Guid.NewGuid();

    /// <summary>The code package of each live detached actor built from shipped code, by actor; null until
    /// <see cref="DetachedPackagesAsync"/> is first asked (built then from the rows), kept up to date from then on.</summary>
    private Dictionary<Guid, string>? _detachedCode;

    public ActorTableGrain(
        [PersistentState("actortable", ControlStoreStorage.Name)] IPersistentState<SerializedRows> state,
        Serializer serializer,
        ILogger<ActorTableGrain> logger)
    {
        _stored = new PersistedRows<ActorTableRows>(state, serializer, logger, "actor table shard");
        _serializer = serializer;
        _logger = logger;
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _durable = ServiceProvider.GetKeyedService<IGrainStorage>(ControlStoreStorage.Name) is not HeadMemoryGrainStorage;
        _table = _stored.Load() ?? new ActorTableRows();
        return Task.CompletedTask;
    }

    public async Task RegisterAsync(ActorCreationSpec[] specs)
    {
        ArgumentNullException.ThrowIfNull(specs);
        var changed = false;
        foreach (var spec in specs)
        {
            ArgumentNullException.ThrowIfNull(spec);
            var key = spec.ActorId.ToGuid();
            if (_table.Rows.TryGetValue(key, out var row) && row.Spec is not null)
            {
                continue; // registered already (a retried creation)
            }

            row ??= new ActorRow();
            row.Spec = _serializer.SerializeToArray(spec);
            if (row.State != ActorState.Dead) // a kill that overtook the creation stays: the actor never comes back
            {
                row.State = ActorState.Pending;
            }

            row.Incarnation = _incarnation;
            _table.Rows[key] = row;
            NoteDetachedCode(key, spec);
            changed = true;
        }

        if (changed)
        {
            await SaveAsync().ConfigureAwait(true);
        }
    }

    public async Task<ActorRestart> RestartAsync(ActorId actorId, string node)
    {
        if (!_table.Rows.TryGetValue(actorId.ToGuid(), out var row) || row.Spec is null || Decode(actorId, row.Spec) is not { } spec)
        {
            return new ActorRestart(null, 0, "no actor with this id was ever created in this cluster (or its record was lost with in-memory state, or dropped as one of the oldest dead actors)");
        }

        if (row.State == ActorState.Dead)
        {
            return new ActorRestart(spec, row.Restarts, "it was killed or died past its MaxRestarts", row.Node);
        }

        var options = spec.Options;
        var afterClusterRestart = AfterClusterRestart(row, spec);
        if (!MayRestart(row, spec))
        {
            Died(actorId.ToGuid(), row, spec);
            await SaveAsync().ConfigureAwait(true);
            return new ActorRestart(spec, row.Restarts, $"its node died and it has no restarts left (MaxRestarts = {options.MaxRestarts})", row.Node);
        }

        if (afterClusterRestart)
        {
            row.ClusterRestarts++;
        }

        row.Incarnation = _incarnation;
        row.Node = node ?? string.Empty;
        row.Restarts++;
        row.State = ActorState.Restarting;
        await SaveAsync().ConfigureAwait(true);
        return new ActorRestart(spec, row.Restarts, null);
    }

    /// <summary>Whether <paramref name="row"/>'s actor is a detached one rebuilt under a control store that did not
    /// start it: a detached actor outlives a restart of its head (and so of the control store) on PostgreSQL without using a restart.</summary>
    private bool AfterClusterRestart(ActorRow row, ActorCreationSpec spec) => spec.Options.Detached && row.Incarnation != _incarnation;

    /// <summary>Whether <paramref name="row"/>'s actor may be rebuilt now: a node that died while this table ran counts
    /// against MaxRestarts, as Ray counts it, for detached and job-scoped actors alike.</summary>
    private bool MayRestart(ActorRow row, ActorCreationSpec spec) =>
        row.State != ActorState.Dead && (AfterClusterRestart(row, spec) || row.Restarts - row.ClusterRestarts < spec.Options.MaxRestarts);

    public Task<ActorTableRowInfo[]> RowsAsync(ActorId[] actorIds)
    {
        ArgumentNullException.ThrowIfNull(actorIds);
        var rows = new List<ActorTableRowInfo>(actorIds.Length);
        foreach (var actorId in actorIds)
        {
            if (_table.Rows.TryGetValue(actorId.ToGuid(), out var row))
            {
                var spec = row.Spec is null ? null : Decode(actorId, row.Spec);
                rows.Add(new ActorTableRowInfo(actorId, row.State, row.Node, row.Restarts, spec is not null && MayRestart(row, spec)));
            }
        }

        return Task.FromResult(rows.ToArray());
    }

    /// <summary>Filter keys a dead row answers without its spec (<see cref="LostAsync"/>).</summary>
    private static readonly HashSet<string> SpecFreeKeys = new(["actor_id", "state", "node_id", "node"], StringComparer.OrdinalIgnoreCase);

    public Task<LostActors> LostAsync(string[] aliveNodes, StateFilter[] filters, int limit)
    {
        ArgumentNullException.ThrowIfNull(aliveNodes);
        ArgumentNullException.ThrowIfNull(filters);
        var alive = new HashSet<string>(aliveNodes, StringComparer.Ordinal);
        // A dead row's state and node are known without its spec: filters on those alone run before any decoding.
        var needsSpec = filters.Any(f => !SpecFreeKeys.Contains(f.Key));
        var rows = new List<ActorStateRow>();
        var matched = 0;
        foreach (var (key, row) in _table.Rows)
        {
            if (row.Node.Length == 0 || alive.Contains(row.Node) || row.Spec is null)
            {
                continue;
            }

            var id = ActorId.FromGuid(key);
            var countedBare = row.State == ActorState.Dead && !needsSpec;
            if (countedBare)
            {
                var bare = new ActorStateRow(id.ToString(), string.Empty, string.Empty, string.Empty, "DEAD", row.Node, row.Restarts, false, null, null);
                if (!ActorStateColumns.Matches(bare, filters) || ++matched > limit)
                {
                    continue; // filtered out, or counted and not decoded
                }
            }

            if (Decode(id, row.Spec) is not { } spec)
            {
                continue;
            }

            var full = new ActorStateRow(id.ToString(), spec.ClassName, spec.Options.Name, spec.Options.Namespace, MayRestart(row, spec) ? "RESTARTING" : "DEAD", row.Node, row.Restarts, spec.Options.Detached, null, null)
            {
                JobId = spec.Owner.IsEmpty ? string.Empty : spec.Owner.ToString(),
            };
            if (countedBare || (ActorStateColumns.Matches(full, filters) && ++matched <= limit))
            {
                rows.Add(full);
            }
        }

        return Task.FromResult(new LostActors(rows.ToArray(), matched));
    }

    public async Task ReportAsync(ActorStateReport[] reports)
    {
        ArgumentNullException.ThrowIfNull(reports);
        var changed = false;
        foreach (var report in reports)
        {
            var key = report.ActorId.ToGuid();
            if (!_table.Rows.TryGetValue(key, out var row))
            {
                // A report before (or without) the registration: kept, so a kill that overtook the creation is known.
                row = new ActorRow();
                _table.Rows[key] = row;
            }
            else if (row.State == ActorState.Dead)
            {
                continue;
            }

            if (report.Node.Length > 0)
            {
                row.Node = report.Node; // a kill recorded where the actor never lived names no node: its row keeps where it lived
            }

            if (report.State == ActorState.Dead)
            {
                Died(key, row, row.Spec is null ? null : Decode(report.ActorId, row.Spec));
            }
            else
            {
                row.State = report.State;
                row.Incarnation = _incarnation; // alive under this control store: a later node death counts
                row.Restarts = Math.Max(row.Restarts, report.Restarts); // a restart by a kill, which only the instance saw
            }

            changed = true;
        }

        if (changed)
        {
            await SaveAsync().ConfigureAwait(true);
        }
    }

    /// <summary>Marks <paramref name="row"/> dead: its spec loses its constructor arguments (they may be large, and a
    /// dead actor is never built again), and the oldest dead rows beyond <see cref="ActorTableShards.DeadKeptPerShard"/>
    /// leave the shard.</summary>
    private void Died(Guid key, ActorRow row, ActorCreationSpec? spec)
    {
        row.State = ActorState.Dead;
        _detachedCode?.Remove(key);
        if (spec is { Args.Length: > 0 })
        {
            row.Spec = _serializer.SerializeToArray(spec with { Args = [] });
        }

        var deaths = _table.Deaths;
        deaths.Add(key);
        // Trimmed in steps of an eighth, so the list is not shifted on every death.
        if (deaths.Count > ActorTableShards.DeadKeptPerShard + (ActorTableShards.DeadKeptPerShard / 8))
        {
            var drop = deaths.Count - ActorTableShards.DeadKeptPerShard;
            for (var i = 0; i < drop; i++)
            {
                if (_table.Rows.TryGetValue(deaths[i], out var old) && old.State == ActorState.Dead)
                {
                    _table.Rows.Remove(deaths[i]);
                }
            }

            deaths.RemoveRange(0, drop);
        }
    }

    public Task<string[]> DetachedPackagesAsync(string[] packages)
    {
        ArgumentNullException.ThrowIfNull(packages);
        if (_detachedCode is null)
        {
            _detachedCode = new Dictionary<Guid, string>();
            foreach (var (key, row) in _table.Rows)
            {
                if (row.State != ActorState.Dead && row.Spec is not null && Decode(ActorId.FromGuid(key), row.Spec) is { } spec)
                {
                    NoteDetachedCode(key, spec);
                }
            }
        }

        var used = _detachedCode.Values.ToHashSet(StringComparer.Ordinal);
        return Task.FromResult(packages.Where(used.Contains).Distinct(StringComparer.Ordinal).ToArray());
    }

    /// <summary>Adds a live actor to <see cref="_detachedCode"/> (once it is built) when it is detached and built from shipped code.</summary>
    private void NoteDetachedCode(Guid key, ActorCreationSpec spec)
    {
        if (_detachedCode is not null && spec.Options.Detached && spec.Constructor?.Code is { Length: > 0 } code)
        {
            _detachedCode[key] = code;
        }
    }

    private ActorCreationSpec? Decode(ActorId actorId, byte[] bytes)
    {
        try
        {
            return _serializer.Deserialize<ActorCreationSpec>(bytes);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogUnreadable(_logger, actorId, ex.Message);
            return null;
        }
    }

    private Task SaveAsync() => _durable ? _stored.SaveAsync(_table) : Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "The stored row of actor {ActorId} could not be read: {Reason}")]
    private static partial void LogUnreadable(ILogger logger, ActorId actorId, string reason);
}

/// <summary>The grain storage the control store writes through to: the silo's default provider (ADO.NET on
/// PostgreSQL with --storage; in memory otherwise).</summary>
internal static class ControlStoreStorage
{
    public const string Name = "Default";
}
