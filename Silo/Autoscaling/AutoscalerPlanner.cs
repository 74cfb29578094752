using System.Globalization;

namespace OrleansRay.Silo.Autoscaling;

/// <summary>The autoscaler's decisions, as pure and deterministic logic (Ray's <c>ResourceDemandScheduler</c> and idle
/// node removal): the same <see cref="PlannerInput"/> always gives the same <see cref="AutoscalerPlan"/>.</summary>
/// <remarks>
/// <para>Launches, in this order: nodes that keep each type's <c>min_workers</c>; nodes for Ray's
/// <c>request_resources</c> bundles that the cluster's total capacity (live, launching, new nodes) cannot hold; nodes
/// for pending placement groups and for pending tasks and actors that the free capacity cannot hold. Demands are
/// bin-packed first-fit decreasing (largest shapes first) onto live nodes' available resources, then onto launching
/// nodes, then onto the nodes this plan launches; a demand left over opens a new node of the type that fits it with the
/// fewest resources it does not ask for (a CPU task does not open a GPU node) and the highest utilization.</para>
/// <para>Limits: a type's <c>max_workers</c>, the global <c>max_workers</c> (workers launching count), and
/// <c>upscaling_speed</c>: at most max(<see cref="InitialUpscaleNodes"/>, floor(upscaling_speed × running nodes of the
/// type)) nodes of a type launching at once (request_resources bypasses it, as in Ray). A demand no node type and no live
/// node can hold is infeasible: nothing is launched for it. A demand a type could hold that waits for a limit is
/// reported as waiting.</para>
/// <para>Removes a worker the autoscaler launched (it has a type) that has been idle for <c>idle_timeout_minutes</c>,
/// holds no running work, actors or primary objects, is not about to get pending work or needed by request_resources,
/// and whose type keeps <c>min_workers</c> live nodes without it; the longest idle first. The head and nodes joined by
/// hand are never removed.</para>
/// </remarks>
internal sealed class AutoscalerPlanner
{
    /// <summary>Nodes of a type that may be launching at once whatever upscaling_speed allows (Ray's
    /// UPSCALING_INITIAL_NUM_NODES).</summary>
    public const int InitialUpscaleNodes = 5;

    private readonly PlannerInput _input;
    private readonly List<CapacityBin> _bins = [];
    private readonly Dictionary<string, int> _alive = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _launching = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _new = new(StringComparer.Ordinal);
    private readonly List<UnservedDemand> _infeasible = [];
    private readonly List<UnservedDemand> _waiting = [];

    private AutoscalerPlanner(PlannerInput input)
    {
        _input = input;
        var types = input.NodeTypes.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var node in input.Nodes.OrderByDescending(n => n.IsHead).ThenBy(n => n.NodeId, StringComparer.Ordinal))
        {
            _bins.Add(new CapacityBin(node.NodeId, node.NodeType, BinKind.Alive, node.Total, node.Available, node));
            if (!node.IsHead && node.NodeType is { } type && types.ContainsKey(type))
            {
                _alive[type] = _alive.GetValueOrDefault(type) + 1;
            }
        }

        foreach (var node in input.Launching.OrderBy(n => n.ProviderId, StringComparer.Ordinal))
        {
            if (types.TryGetValue(node.NodeType, out var type))
            {
                _bins.Add(new CapacityBin(node.ProviderId, type.Name, BinKind.Launching, type.Resources, type.Resources, null));
                _launching[type.Name] = _launching.GetValueOrDefault(type.Name) + 1;
            }
        }
    }

    /// <summary>The plan for <paramref name="input"/>.</summary>
    public static AutoscalerPlan Plan(PlannerInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var planner = new AutoscalerPlanner(input);
        planner.LaunchMinimums();
        planner.PlaceRequestedResources();
        planner.PlacePlacementGroups();
        planner.PlaceDemands();
        return new AutoscalerPlan(planner.Launches(), planner.Terminations(), planner._infeasible, planner._waiting);
    }

    private int Workers => _alive.Values.Sum() + _launching.Values.Sum() + _new.Values.Sum();

    private int CountOf(string type) => _alive.GetValueOrDefault(type) + _launching.GetValueOrDefault(type) + _new.GetValueOrDefault(type);

    private void LaunchMinimums()
    {
        foreach (var type in _input.NodeTypes.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            while (CountOf(type.Name) < type.MinWorkers && CanAdd(type, bypassSpeed: false) is null)
            {
                AddNode(type).Note(string.Create(CultureInfo.InvariantCulture, $"min_workers = {type.MinWorkers} of '{type.Name}'"));
            }
        }
    }

    private void PlaceRequestedResources()
    {
        foreach (var bundle in Largest(_input.RequestedResources))
        {
            var what = $"request_resources {bundle}";
            if (!FitsSomewhere(bundle))
            {
                _infeasible.Add(new UnservedDemand(what, $"no node type and no node has {bundle}; nothing is launched for it."));
                continue;
            }

            if (_bins.Any(b => b.TryTakeTotal(bundle, what)))
            {
                continue;
            }

            if (NewNodeFor(bundle, what, bypassSpeed: true) is { } bin)
            {
                bin.TryTakeTotal(bundle, what);
            }
        }
    }

    private void PlacePlacementGroups()
    {
        foreach (var group in _input.PlacementGroups)
        {
            var what = $"placement group '{group.Name}' ({Strategy(group.Strategy)}, {group.Bundles.Count} bundle(s))";
            var sum = ResourceSet.Sum(group.Bundles);
            if (group.Strategy is PlacementStrategy.StrictPack)
            {
                if (!FitsSomewhere(sum))
                {
                    _infeasible.Add(new UnservedDemand(what, $"STRICT_PACK puts all bundles, {sum} together, on one node; no node type or node has that much."));
                }
                else
                {
                    Place(sum, what, avoid: null);
                }

                continue;
            }

            // PACK: all on one node when a node with room or a node type holds them all (launched, or waiting for a
            // limit); else bundle by bundle onto as few nodes as first-fit gives.
            if (group.Strategy is PlacementStrategy.Pack)
            {
                if (_bins.Any(b => b.TryTake(sum, what)))
                {
                    continue;
                }

                if (_input.NodeTypes.Any(t => sum.FitsIn(t.Resources)))
                {
                    Place(sum, what, avoid: null);
                    continue;
                }
            }

            if (group.Bundles.FirstOrDefault(b => !FitsSomewhere(b)) is { } tooBig)
            {
                _infeasible.Add(new UnservedDemand(what, $"no node type or node has the resources of bundle {tooBig}."));
                continue;
            }

            var used = new HashSet<CapacityBin>();
            foreach (var bundle in Largest(group.Bundles))
            {
                var strict = group.Strategy is PlacementStrategy.StrictSpread;
                var bin = group.Strategy is PlacementStrategy.Pack ? Place(bundle, what, avoid: null) : Place(bundle, what, used, allowShared: !strict);
                if (bin is null)
                {
                    break;
                }

                used.Add(bin);
            }
        }
    }

    private void PlaceDemands()
    {
        var demands = _input.Demands.Where(d => d.Count > 0)
            .OrderByDescending(d => d.Shape.Count).ThenByDescending(d => d.Shape.Items.Sum(i => i.Value))
            .ThenBy(d => d.Shape.ToString(), StringComparer.Ordinal).ThenBy(d => d.IsActor);
        foreach (var demand in demands)
        {
            var what = demand.Label;
            if (!FitsSomewhere(demand.Shape))
            {
                _infeasible.Add(new UnservedDemand(demand.Describe(demand.Count), $"no node type and no node has {demand.Shape}; nothing is launched for it (add a node type with these resources)."));
                continue;
            }

            for (var i = 0; i < demand.Count; i++)
            {
                if (Place(demand.Shape, what, avoid: null) is null)
                {
                    // The same shape cannot fit any better later in this plan: the rest waits for the same reason.
                    _waiting[^1] = _waiting[^1] with { Demand = demand.Describe(demand.Count - i) };
                    break;
                }
            }
        }
    }

    /// <summary>Packs <paramref name="shape"/> onto the first bin with room (bins in <paramref name="avoid"/> only when
    /// <paramref name="allowShared"/> and no other has room), else onto a new node; null when it waits (noted).</summary>
    private CapacityBin? Place(ResourceSet shape, string what, HashSet<CapacityBin>? avoid, bool allowShared = true)
    {
        var bin = _bins.FirstOrDefault(b => (avoid is null || !avoid.Contains(b)) && b.TryTake(shape, what))
            ?? (allowShared && avoid is not null ? _bins.FirstOrDefault(b => b.TryTake(shape, what)) : null);
        if (bin is not null)
        {
            return bin;
        }

        bin = NewNodeFor(shape, what, bypassSpeed: false);
        bin?.TryTake(shape, what);
        return bin;
    }

    /// <summary>A new node of the best type for <paramref name="shape"/>; null (and a waiting note) when no type may be added.</summary>
    private CapacityBin? NewNodeFor(ResourceSet shape, string what, bool bypassSpeed)
    {
        var candidates = _input.NodeTypes.Where(t => shape.FitsIn(t.Resources))
            .OrderBy(t => t.Resources.Items.Count(r => shape[r.Key] < ResourceSet.Epsilon && r.Key is not (ResourceSet.Cpu or ResourceSet.Memory or ResourceSet.ObjectStoreMemory)))
            .ThenByDescending(t => Utilization(shape, t.Resources))
            .ThenBy(t => t.Name, StringComparer.Ordinal)
            .ToList();
        string? why = null;
        foreach (var type in candidates)
        {
            why ??= CanAdd(type, bypassSpeed);
            if (CanAdd(type, bypassSpeed) is null)
            {
                return AddNode(type);
            }
        }

        _waiting.Add(new UnservedDemand(what, why ?? $"only a node that is busy now can hold {shape}, no node type can; it waits for that node."));
        return null;
    }

    /// <summary>Null when a node of <paramref name="type"/> may be added now, else why not.</summary>
    private string? CanAdd(WorkerNodeType type, bool bypassSpeed)
    {
        if (CountOf(type.Name) >= type.MaxWorkers)
        {
            return string.Create(CultureInfo.InvariantCulture, $"node type '{type.Name}' is at its max_workers ({type.MaxWorkers}).");
        }

        if (Workers >= _input.Limits.MaxWorkers)
        {
            return string.Create(CultureInfo.InvariantCulture, $"the cluster is at its max_workers ({_input.Limits.MaxWorkers} worker nodes).");
        }

        var allowed = Math.Max(InitialUpscaleNodes, (int)Math.Floor(_input.Limits.UpscalingSpeed * _alive.GetValueOrDefault(type.Name)));
        var pending = _launching.GetValueOrDefault(type.Name) + _new.GetValueOrDefault(type.Name);
        return bypassSpeed || pending < allowed
            ? null
            : string.Create(CultureInfo.InvariantCulture, $"upscaling_speed {_input.Limits.UpscalingSpeed} allows {allowed} node(s) of '{type.Name}' launching at once; more are launched as these join.");
    }

    private CapacityBin AddNode(WorkerNodeType type)
    {
        _new[type.Name] = _new.GetValueOrDefault(type.Name) + 1;
        var bin = new CapacityBin(string.Create(CultureInfo.InvariantCulture, $"new {type.Name} #{_new[type.Name]}"), type.Name, BinKind.New, type.Resources, type.Resources, null);
        _bins.Add(bin);
        return bin;
    }

    private bool FitsSomewhere(ResourceSet shape) =>
        _input.NodeTypes.Any(t => shape.FitsIn(t.Resources)) || _input.Nodes.Any(n => shape.FitsIn(n.Total));

    private List<LaunchDecision> Launches() =>
        _bins.Where(b => b.Kind == BinKind.New)
            .GroupBy(b => b.NodeType!, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var reasons = g.SelectMany(b => b.LaunchedFor)
                    .GroupBy(e => e.Key, StringComparer.Ordinal)
                    .Select(e => e.Key.StartsWith("min_workers", StringComparison.Ordinal)
                        ? "to keep " + e.Key
                        : e.Key.StartsWith("placement group ", StringComparison.Ordinal) // one group: its count is of placements
                        ? $"for {e.Key}, which the free capacity cannot hold"
                        : string.Create(CultureInfo.InvariantCulture, $"for {e.Sum(x => x.Value)} {e.Key} the free capacity cannot hold"));
                return new LaunchDecision(g.Key, g.Count(), string.Join("; ", reasons));
            })
            .ToList();

    private List<TerminateDecision> Terminations()
    {
        var types = _input.NodeTypes.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var left = new Dictionary<string, int>(_alive, StringComparer.Ordinal);
        var result = new List<TerminateDecision>();
        var idle = _bins
            .Where(b => b.Kind == BinKind.Alive && b.Node is { IsHead: false, IdleSince: not null } && b.NodeType is { } t && types.ContainsKey(t))
            .Where(b => !b.UsedByDemand && !b.NeededByRequest)
            .Select(b => (Bin: b, Node: b.Node!, Idle: _input.Now - b.Node!.IdleSince!.Value))
            .Where(x => x.Idle >= _input.Limits.IdleTimeout && !x.Node.HasRunningWork && !x.Node.HasActors && !x.Node.HasPrimaryObjects)
            .OrderByDescending(x => x.Idle).ThenBy(x => x.Node.NodeId, StringComparer.Ordinal);
        foreach (var (bin, node, idleFor) in idle)
        {
            var type = types[bin.NodeType!];
            if (left[type.Name] <= type.MinWorkers)
            {
                continue;
            }

            left[type.Name]--;
            result.Add(new TerminateDecision(node.NodeId, type.Name, string.Create(
                CultureInfo.InvariantCulture,
                $"idle for {idleFor.TotalSeconds:0.#} s (idle_timeout_minutes {_input.Limits.IdleTimeout.TotalMinutes:0.###}) with no running work, actors or primary objects; '{type.Name}' keeps {left[type.Name]} node(s), min_workers {type.MinWorkers}")));
        }

        return result;
    }

    private static double Utilization(ResourceSet shape, ResourceSet capacity) =>
        shape.Items.Select(i => i.Value / Math.Max(capacity[i.Key], ResourceSet.Epsilon)).DefaultIfEmpty(0).Average();

    private static IEnumerable<ResourceSet> Largest(IEnumerable<ResourceSet> shapes) =>
        shapes.OrderByDescending(s => s.Count).ThenByDescending(s => s.Items.Sum(i => i.Value)).ThenBy(s => s.ToString(), StringComparer.Ordinal);

    private static string Strategy(PlacementStrategy strategy) => strategy switch
    {
        PlacementStrategy.Pack => "PACK",
        PlacementStrategy.Spread => "SPREAD",
        PlacementStrategy.StrictPack => "STRICT_PACK",
        _ => "STRICT_SPREAD",
    };
}
