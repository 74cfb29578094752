using Microsoft.Extensions.Logging;
using OrleansRay.Grains;
using OrleansRay.Scheduling;
using OrleansRay.Transport;

namespace OrleansRay.Placement;

/// <summary>Warns, once per resource shape, that work this runtime owns cannot be scheduled: it asks for more of some
/// resource than any live node has in all, so it waits (infeasible) until such a node joins. Ray's driver prints the
/// same warning ("cannot be scheduled right now").</summary>
/// <remarks>
/// <para>Tasks are judged on the refresh loop (<see cref="ClusterRefresh.Refreshed"/>), from what this runtime keeps
/// anyway: its parked tasks (<see cref="ParkedTasks"/>) and, on a node, its queued shapes; a submission pays nothing. An
/// actor is judged when it is created (<see cref="CheckActor"/>), against the view of the last refresh.</para>
/// <para>A shape is warned about once, for tasks and once for actors, and not again until a refresh shows a live node
/// that could hold it; should it become infeasible after that (the node left), it is warned about once more. A shape
/// that names placement-group bundles is not judged: bundles come and go with their groups.</para>
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
    private readonly ILogger _logger;

    /// <param name="refresh">The view of the other nodes; each of its refreshes judges the waiting tasks.</param>
    /// <param name="node">This runtime's node (its own total counts when it runs work).</param>
    /// <param name="scheduler">This node's scheduler engine: its total and its queued shapes.</param>
    /// <param name="parked">This runtime's parked tasks by shape (<see cref="ParkedTasks.Demands"/>).</param>
    /// <param name="logger">Where the warnings go (the driver's console).</param>
    public InfeasibleWarnings(ClusterRefresh refresh, LocalNode node, SchedulerEngine scheduler, Func<List<ResourceDemandInfo>> parked, ILogger logger)
    {
        _refresh = refresh;
        _node = node;
        _scheduler = scheduler;
        _parked = parked;
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
        var totals = LiveTotals();
        if (IsInfeasible(shape, totals) && Warn(shape, isActor: true))
        {
            LogActorCannotBeScheduled(_logger, className, shape, MostOneNodeHas(shape, totals));
        }
    }

    /// <summary>On the refresh loop: forgets the warned shapes a live node could hold now, and warns about each shape
    /// of this runtime's waiting tasks that none could.</summary>
    private void CheckTasks()
    {
        var totals = LiveTotals();
        lock (_gate)
        {
            if (_warned.Count > 0)
            {
                _warned.RemoveWhere(w => !IsInfeasible(w.Shape, totals));
            }
        }

        foreach (var shape in WaitingTaskShapes())
        {
            if (IsInfeasible(shape, totals) && Warn(shape, isActor: false))
            {
                LogTasksCannotBeScheduled(_logger, shape, MostOneNodeHas(shape, totals));
            }
        }
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

    /// <summary>The totals of the live nodes: the others as last seen, and this one when it runs work.</summary>
    private List<ResourceSet> LiveTotals()
    {
        var nodes = _refresh.Nodes;
        var totals = new List<ResourceSet>(nodes.Length + 1);
        if (_node.CanExecute)
        {
            totals.Add(_scheduler.Resources.Total);
        }

        foreach (var node in nodes)
        {
            totals.Add(node.Total);
        }

        return totals;
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

    /// <summary>For each resource <paramref name="shape"/> names, the most of it one live node has (0 when none has it).</summary>
    private static string MostOneNodeHas(ResourceSet shape, List<ResourceSet> totals) =>
        ResourceSet.Describe(shape.Items.Select(i => KeyValuePair.Create(i.Key, totals.Count == 0 ? 0 : totals.Max(t => t[i.Key]))));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tasks that ask for {Shape} cannot be scheduled right now: no live node has that much (the most one node has is {MostOneNodeHas}), so they wait until a node that has it joins. Start a node with those resources (orleansray start --num-cpus, --num-gpus, --memory, --resources) or lower the tasks' request")]
    private static partial void LogTasksCannotBeScheduled(ILogger logger, ResourceSet shape, string mostOneNodeHas);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Actor {ClassName} asks for {Shape} and cannot be scheduled right now: no live node has that much (the most one node has is {MostOneNodeHas}), so it waits until a node that has it joins. Start a node with those resources (orleansray start --num-cpus, --num-gpus, --memory, --resources) or lower the actor's request")]
    private static partial void LogActorCannotBeScheduled(ILogger logger, string className, ResourceSet shape, string mostOneNodeHas);
}
