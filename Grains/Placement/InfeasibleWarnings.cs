using System.Globalization;
using Microsoft.Extensions.Logging;
using OrleansRay.Grains;
using OrleansRay.Scheduling;
using OrleansRay.Transport;

namespace OrleansRay.Placement;

/// <summary>Warns, once per resource shape, that work this runtime owns cannot be scheduled: it asks for more of some
/// resource than any live node has in all, so it waits (infeasible) until such a node joins. Ray's driver prints the
/// same warning ("cannot be scheduled right now"). Likewise, once per bundles and strategy, for a placement group the
/// live nodes could never hold.</summary>
/// <remarks>
/// <para>Tasks are judged on the refresh loop (<see cref="ClusterRefresh.Refreshed"/>), from what this runtime keeps
/// anyway: its parked tasks (<see cref="ParkedTasks"/>) and, on a node, its queued shapes; a submission pays nothing. An
/// actor is judged when it is created (<see cref="CheckActor"/>), against the view of the last refresh, and so is a
/// placement group (<see cref="CheckPlacementGroup"/>), by the control store's own feasibility check for pending groups
/// (given as a function by the node layer: this layer does not use the control store). A group this runtime created is
/// judged again on the refresh loop when the live nodes changed, so one that becomes infeasible while it waits (a node it
/// needed left) is warned about too (<see cref="CheckOwnGroups"/>).</para>
/// <para>A shape is warned about once, for tasks and once for actors, and not again until a refresh shows a live node
/// that could hold it; should it become infeasible after that (the node left), it is warned about once more. A shape
/// that names placement-group bundles is not judged: bundles come and go with their groups. A group's bundles and
/// strategy are warned about once, and forgotten like a shape.</para>
/// <para>Thread-safe: the refresh loop and actor creations call it concurrently.</para>
/// </remarks>
internal sealed partial class InfeasibleWarnings
{
    private readonly object _gate = new();
    private readonly HashSet<(ResourceSet Shape, bool IsActor)> _warned = new();
    private readonly ClusterRefresh _refresh;
    private readonly LocalNode _node;
    private readonly SchedulerEngine _scheduler;
    private readonly Func<List<ResourceDemandInfo>> _parked;
    private readonly Func<PlacementGroupSpec, IReadOnlyList<(NodeId Id, ResourceSet Total)>, bool> _groupIsInfeasible;
    private readonly Dictionary<(PlacementGroupStrategy Strategy, string Bundles), PlacementGroupSpec> _warnedGroups = new();
    private readonly ILogger _logger;

    /// <param name="refresh">The view of the other nodes; each of its refreshes judges the waiting tasks.</param>
    /// <param name="node">This runtime's node (its own total counts when it runs work).</param>
    /// <param name="scheduler">This node's scheduler engine: its total and its queued shapes.</param>
    /// <param name="parked">This runtime's parked tasks by shape (<see cref="ParkedTasks.Demands"/>).</param>
    /// <param name="groupIsInfeasible">True when live nodes of these totals could never hold the group's bundles by its
    /// strategy, even empty (the control store's check for pending groups).</param>
    /// <param name="logger">Where the warnings go (the driver's console).</param>
    public InfeasibleWarnings(ClusterRefresh refresh, LocalNode node, SchedulerEngine scheduler, Func<List<ResourceDemandInfo>> parked,
        Func<PlacementGroupSpec, IReadOnlyList<(NodeId Id, ResourceSet Total)>, bool> groupIsInfeasible, ILogger logger)
    {
        _refresh = refresh;
        _node = node;
        _scheduler = scheduler;
        _parked = parked;
        _groupIsInfeasible = groupIsInfeasible;
        _logger = logger;
        refresh.Refreshed += CheckTasks;
    }

    /// <summary>Warns about an actor of class <paramref name="className"/> asking for <paramref name="shape"/> when no
    /// live node could ever hold it (once per shape, see the remarks). Judged after the first view of the cluster
    /// arrived, so one created while this runtime is joining is not warned about for lack of a view.</summary>
    public void CheckActor(string className, ResourceSet shape)
    {
        if (shape.IsEmpty || _node.IsDisposed)
        {
            return;
        }

        if (_refresh.FirstRefresh.IsCompleted)
        {
            JudgeActor(className, shape);
        }
        else
        {
            _refresh.FirstRefresh.ContinueWith(_ => JudgeActor(className, shape), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private void JudgeActor(string className, ResourceSet shape)
    {
        var totals = LiveNodes().Select(n => n.Total).ToList();
        if (IsInfeasible(shape, totals) && Warn(shape, isActor: true))
        {
            LogActorCannotBeScheduled(_logger, className, shape, MostOneNodeHas(shape, totals));
        }
    }

    /// <summary>Warns about placement group <paramref name="id"/> of <paramref name="spec"/>, just created, when the
    /// live nodes could never hold its bundles by its strategy (a bundle larger than every node, more bundles than
    /// nodes for StrictSpread, ...): it would wait, pending, until such nodes join. Once per bundles and strategy (see
    /// the remarks); judged after the first view of the cluster arrived, as <see cref="CheckActor"/>.</summary>
    public void CheckPlacementGroup(Guid id, PlacementGroupSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (_node.IsDisposed)
        {
            return;
        }

        _ownGroups[id] = spec; // judged again when the live nodes change (see CheckOwnGroups)
        if (_refresh.FirstRefresh.IsCompleted)
        {
            JudgeGroup(id, spec);
        }
        else
        {
            _refresh.FirstRefresh.ContinueWith(_ => JudgeGroup(id, spec), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private void JudgeGroup(Guid id, PlacementGroupSpec spec)
    {
        var nodes = LiveNodes();
        if (_groupIsInfeasible(spec, nodes))
        {
            WarnGroup(id, spec, nodes);
        }
    }

    /// <summary>Warns that group <paramref name="id"/> cannot be placed, unless its bundles and strategy were warned about.</summary>
    private void WarnGroup(Guid id, PlacementGroupSpec spec, List<(NodeId Id, ResourceSet Total)> nodes)
    {
        lock (_gate)
        {
            if (!_warnedGroups.TryAdd(GroupKey(spec), spec))
            {
                return;
            }
        }

        // The id as PlacementGroup.ToString(), the state API and the CLI print it (32 hex digits); the name after it, if any.
        var group = spec.Name is { Length: > 0 } name ? $"{id:N} '{name}'" : id.ToString("N");
        LogGroupCannotBePlaced(_logger, group, DescribeBundles(spec.Bundles), spec.Strategy, WhyNotPlaced(spec, nodes.Select(n => n.Total).ToList()));
    }

    /// <summary>Why the live nodes of <paramref name="totals"/> can never hold <paramref name="spec"/>, by its strategy: a
    /// bundle no node holds; all bundles on one node (StrictPack); a node each (StrictSpread); or more in total than the
    /// nodes have (Pack, Spread: bundles may share nodes or not, so the total is what counts).</summary>
    internal static string WhyNotPlaced(PlacementGroupSpec spec, List<ResourceSet> totals)
    {
        var live = string.Create(CultureInfo.InvariantCulture, $"{totals.Count} live node(s)");
        var sum = ResourceSet.Sum(spec.Bundles);
        for (var i = 0; i < spec.Bundles.Length; i++)
        {
            if (!totals.Any(spec.Bundles[i].FitsIn))
            {
                return string.Create(CultureInfo.InvariantCulture, $"bundle {i}, {spec.Bundles[i]}, fits on none of the {live} (the most one node has is {MostOneNodeHas(spec.Bundles[i], totals)})");
            }
        }

        return spec.Strategy switch
        {
            PlacementGroupStrategy.StrictPack =>
                $"StrictPack puts every bundle on one node: together they need {sum}, and the most one of the {live} has is {MostOneNodeHas(sum, totals)}",
            PlacementGroupStrategy.StrictSpread => string.Create(CultureInfo.InvariantCulture,
                $"StrictSpread puts each bundle on a node of its own, and the {live} cannot give each of its {spec.Bundles.Length} bundles one that holds it"),
            _ when ResourceSet.Sum(totals) is var all && !sum.FitsIn(all) => $"its bundles need {sum} in total, and the {live} have {all} together",
            _ => $"the {live} could never hold it together (the most one node has is {MostOneNodeHas(sum, totals)})",
        };
    }


    private static (PlacementGroupStrategy, string) GroupKey(PlacementGroupSpec spec) => (spec.Strategy, DescribeBundles(spec.Bundles));

    private static string DescribeBundles(IReadOnlyList<ResourceSet> bundles) => "[" + string.Join(", ", bundles) + "]";

    /// <summary>On the refresh loop: forgets the warned shapes and groups a live node could hold now, warns about each
    /// shape of this runtime's waiting tasks that none could, and judges this runtime's own groups again.</summary>
    private void CheckTasks()
    {
        var nodes = LiveNodes();
        var totals = nodes.Select(n => n.Total).ToList();
        lock (_gate)
        {
            if (_warned.Count > 0)
            {
                _warned.RemoveWhere(w => !IsInfeasible(w.Shape, totals));
            }

            foreach (var (key, spec) in _warnedGroups.ToList())
            {
                if (!_groupIsInfeasible(spec, nodes))
                {
                    _warnedGroups.Remove(key);
                }
            }
        }

        foreach (var shape in WaitingTaskShapes())
        {
            if (IsInfeasible(shape, totals) && Warn(shape, isActor: false))
            {
                LogTasksCannotBeScheduled(_logger, shape, MostOneNodeHas(shape, totals));
            }
        }

        CheckOwnGroups(nodes);
    }

    /// <summary>The shapes of this runtime's tasks that wait for a node: parked ones (no live node fits them), and on a
    /// node the queued shapes its own total cannot hold (on a single node they wait there).</summary>
    private IEnumerable<ResourceSet> WaitingTaskShapes()
    {
        foreach (var demand in _parked())
        {
            yield return demand.Shape;
        }

        if (_node.CanExecute)
        {
            foreach (var demand in _scheduler.Queued.Demands())
            {
                if (demand.IsInfeasible && !demand.IsActor)
                {
                    yield return demand.Shape;
                }
            }
        }
    }

    private bool Warn(ResourceSet shape, bool isActor)
    {
        lock (_gate)
        {
            return _warned.Add((shape, isActor));
        }
    }

    /// <summary>The live nodes with their totals: the others as last seen, and this one when it runs work.</summary>
    private List<(NodeId Id, ResourceSet Total)> LiveNodes()
    {
        var nodes = _refresh.Nodes;
        var live = new List<(NodeId Id, ResourceSet Total)>(nodes.Length + 1);
        if (_node.CanExecute)
        {
            live.Add((_node.NodeId, _scheduler.Resources.Total));
        }

        foreach (var node in nodes)
        {
            live.Add((node.Id, node.Total));
        }

        return live;
    }

    /// <summary>True when no total holds <paramref name="shape"/> (and it names no placement-group bundle).</summary>
    private static bool IsInfeasible(ResourceSet shape, List<ResourceSet> totals)
    {
        foreach (var total in totals)
        {
            if (shape.FitsIn(total))
            {
                return false;
            }
        }

        foreach (var (name, _) in shape.Items)
        {
            if (BundleKey.TryParse(name, out _, out _))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>For each resource <paramref name="shape"/> names, the most of it one live node has (0 when none has it),
    /// and, for a name no node has in that spelling but one has in another case, that names are case-sensitive.</summary>
    private static string MostOneNodeHas(ResourceSet shape, List<ResourceSet> totals) =>
        ResourceSet.Describe(shape.Items.Select(i => KeyValuePair.Create(i.Key, totals.Count == 0 ? 0 : totals.Max(t => t[i.Key])))) + CaseHint(shape, totals);

    /// <summary>"; resource names are case-sensitive: ..." when <paramref name="shape"/> names a resource no node has
    /// that a node has in another case (<c>cpu</c> for <c>CPU</c>); else empty.</summary>
    private static string CaseHint(ResourceSet shape, List<ResourceSet> totals)
    {
        var known = totals.SelectMany(t => t.Items).Where(i => i.Value > 0).Select(i => i.Key).Distinct(StringComparer.Ordinal).ToList();
        var misspelt = shape.Items.Select(i => i.Key)
            .Where(name => !known.Contains(name, StringComparer.Ordinal))
            .Select(name => (Asked: name, Known: known.FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase))))
            .Where(m => m.Known is not null)
            .Select(m => $"the nodes have \"{m.Known}\", not \"{m.Asked}\"")
            .ToList();
        return misspelt.Count == 0 ? string.Empty : $"; resource names are case-sensitive: {string.Join("; ", misspelt)}";
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tasks that ask for {Shape} cannot be scheduled right now: no live node has that much (the most one node has is {MostOneNodeHas}), so they wait until a node that has it joins. Start a node with those resources (orleansray start --num-cpus, --num-gpus, --memory, --resources) or lower the tasks' request")]
    private static partial void LogTasksCannotBeScheduled(ILogger logger, ResourceSet shape, string mostOneNodeHas);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Placement group {Group} of bundles {Bundles} ({Strategy}) cannot be placed right now: {Reason}, so it stays pending until nodes that can join. Add a node that can hold it (orleansray start --num-cpus, --num-gpus, --memory, --resources) or change the group's bundles or strategy")]
    private static partial void LogGroupCannotBePlaced(ILogger logger, string group, string bundles, PlacementGroupStrategy strategy, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Actor {ClassName} asks for {Shape} and cannot be scheduled right now: no live node has that much (the most one node has is {MostOneNodeHas}), so it waits until a node that has it joins. Start a node with those resources (orleansray start --num-cpus, --num-gpus, --memory, --resources) or lower the actor's request")]
    private static partial void LogActorCannotBeScheduled(ILogger logger, string className, ResourceSet shape, string mostOneNodeHas);
}
