using OrleansRay.Grains;

namespace OrleansRay.ControlStore;

/// <summary>Chooses a node for each bundle of a placement group, by Ray's strategies, from the nodes' free resources.
/// Pure: the grain reserves what it returns, and the nodes have the last word (a stale view only costs a retry).</summary>
internal static class BundlePlanner
{
    /// <summary>StrictSpread over many nodes backtracks; past this many steps it gives up until the next retry.</summary>
    private const int MaxSearchSteps = 20_000;

    /// <summary>A live node and what it has free now (a working copy: planning subtracts from it).</summary>
    public sealed class NodeRoom
    {
        public NodeRoom(NodeId id, ResourceSet total, ResourceSet available)
        {
            Id = id;
            Total = total;
            Free = available.ToDictionary();
        }

        public NodeId Id { get; }

        public ResourceSet Total { get; }

        public Dictionary<string, double> Free { get; }

        internal void Take(ResourceSet shape)
        {
            foreach (var (name, amount) in shape.Items)
            {
                Free[name] = Free.GetValueOrDefault(name) - amount;
            }
        }

        internal void Give(ResourceSet shape)
        {
            foreach (var (name, amount) in shape.Items)
            {
                Free[name] = Free.GetValueOrDefault(name) + amount;
            }
        }

        /// <summary>How much room is left after taking <paramref name="shape"/>, as the smallest free fraction of the
        /// resources it asks for (higher = emptier).</summary>
        internal double RoomAfter(ResourceSet shape)
        {
            var room = double.PositiveInfinity;
            foreach (var (name, amount) in shape.Items)
            {
                var total = Total[name];
                var left = Free.GetValueOrDefault(name) - amount;
                room = Math.Min(room, total > 0 ? left / total : left);
            }

            return double.IsPositiveInfinity(room) ? 1 : room;
        }
    }

    /// <summary>Places the bundles in <paramref name="toPlace"/> (index and shape); <paramref name="placed"/> are the
    /// group's bundles already held (by index), which the strict strategies must respect. Returns the node of each
    /// bundle to place, or null with the reason when the strategy cannot be met with the resources free now.</summary>
    public static (Dictionary<int, NodeId>? Plan, string? Reason) Plan(
        PlacementGroupStrategy strategy,
        IReadOnlyList<(int Index, ResourceSet Shape)> toPlace,
        IReadOnlyDictionary<int, NodeId> placed,
        IReadOnlyList<NodeRoom> nodes)
    {
        if (toPlace.Count == 0)
        {
            return (new Dictionary<int, NodeId>(), null);
        }

        if (nodes.Count == 0)
        {
            return (null, "no live node");
        }

        // Largest bundles first: they have the fewest places to go.
        var ordered = toPlace.OrderByDescending(b => Weight(b.Shape)).ThenBy(b => b.Index).ToList();
        return strategy switch
        {
            PlacementGroupStrategy.StrictPack => StrictPack(ordered, placed, nodes),
            PlacementGroupStrategy.StrictSpread => StrictSpread(ordered, placed, nodes),
            PlacementGroupStrategy.Spread => Spread(ordered, placed, nodes),
            _ => Pack(ordered, placed, nodes),
        };
    }

    private static (Dictionary<int, NodeId>?, string?) StrictPack(List<(int Index, ResourceSet Shape)> bundles, IReadOnlyDictionary<int, NodeId> placed, IReadOnlyList<NodeRoom> nodes)
    {
        var sum = ResourceSet.Sum(bundles.Select(b => b.Shape));
        var candidates = placed.Count > 0 ? nodes.Where(n => n.Id == placed.Values.First()) : nodes;
        var fits = candidates.Where(n => sum.FitsIn(n.Free)).ToList();
        if (fits.Count == 0)
        {
            return (null, nodes.Any(n => sum.FitsIn(n.Total))
                ? $"StrictPack: no node has {sum} free now"
                : $"StrictPack: no node has {sum} in total");
        }

        // Best fit: the node left with the least room, so larger nodes stay free for larger groups.
        var pick = fits.OrderBy(n => n.RoomAfter(sum)).First();
        pick.Take(sum);
        return (bundles.ToDictionary(b => b.Index, _ => pick.Id), null);
    }

    private static (Dictionary<int, NodeId>?, string?) Pack(List<(int Index, ResourceSet Shape)> bundles, IReadOnlyDictionary<int, NodeId> placed, IReadOnlyList<NodeRoom> nodes)
    {
        // All on one node when any can hold them (prefer a node the group already uses).
        var sum = ResourceSet.Sum(bundles.Select(b => b.Shape));
        var used = new HashSet<NodeId>(placed.Values);
        var whole = nodes.Where(n => sum.FitsIn(n.Free)).OrderByDescending(n => used.Contains(n.Id)).ThenBy(n => n.RoomAfter(sum)).FirstOrDefault();
        if (whole is not null)
        {
            whole.Take(sum);
            return (bundles.ToDictionary(b => b.Index, _ => whole.Id), null);
        }

        // Else greedily: a node the group already uses when the bundle fits there, else the emptiest node.
        var plan = new Dictionary<int, NodeId>();
        foreach (var (index, shape) in bundles)
        {
            var pick = nodes.Where(n => used.Contains(n.Id) && shape.FitsIn(n.Free)).OrderBy(n => n.RoomAfter(shape)).FirstOrDefault()
                ?? nodes.Where(n => shape.FitsIn(n.Free)).OrderByDescending(n => n.RoomAfter(shape)).FirstOrDefault();
            if (pick is null)
            {
                return (null, $"Pack: no node has {shape} free now for bundle {index}");
            }

            pick.Take(shape);
            used.Add(pick.Id);
            plan[index] = pick.Id;
        }

        return (plan, null);
    }

    private static (Dictionary<int, NodeId>?, string?) Spread(List<(int Index, ResourceSet Shape)> bundles, IReadOnlyDictionary<int, NodeId> placed, IReadOnlyList<NodeRoom> nodes)
    {
        var count = nodes.ToDictionary(n => n.Id, n => placed.Values.Count(v => v == n.Id));
        var plan = new Dictionary<int, NodeId>();
        foreach (var (index, shape) in bundles)
        {
            // The node holding the fewest of the group's bundles, then the emptiest.
            var pick = nodes.Where(n => shape.FitsIn(n.Free)).OrderBy(n => count[n.Id]).ThenByDescending(n => n.RoomAfter(shape)).FirstOrDefault();
            if (pick is null)
            {
                return (null, $"Spread: no node has {shape} free now for bundle {index}");
            }

            pick.Take(shape);
            count[pick.Id]++;
            plan[index] = pick.Id;
        }

        return (plan, null);
    }

    private static (Dictionary<int, NodeId>?, string?) StrictSpread(List<(int Index, ResourceSet Shape)> bundles, IReadOnlyDictionary<int, NodeId> placed, IReadOnlyList<NodeRoom> nodes)
    {
        var free = nodes.Where(n => !placed.Values.Contains(n.Id)).ToList();
        if (free.Count < bundles.Count)
        {
            return (null, $"StrictSpread: {bundles.Count + placed.Count} bundles need as many nodes; {nodes.Count} live");
        }

        // Each bundle on its own node: a small backtracking search (a greedy pick can strand a large bundle).
        var plan = new Dictionary<int, NodeId>();
        var taken = new HashSet<NodeId>();
        var steps = 0;
        if (Assign(0))
        {
            return (plan, null);
        }

        return (null, steps >= MaxSearchSteps
            ? "StrictSpread: gave up searching this round"
            : $"StrictSpread: no {bundles.Count} distinct nodes have the bundles' resources free now");

        bool Assign(int i)
        {
            if (i == bundles.Count)
            {
                return true;
            }

            var (index, shape) = bundles[i];
            foreach (var node in free.Where(n => !taken.Contains(n.Id) && shape.FitsIn(n.Free)).OrderByDescending(n => n.RoomAfter(shape)).ToList())
            {
                if (++steps >= MaxSearchSteps)
                {
                    return false;
                }

                node.Take(shape);
                taken.Add(node.Id);
                plan[index] = node.Id;
                if (Assign(i + 1))
                {
                    return true;
                }

                node.Give(shape);
                taken.Remove(node.Id);
                plan.Remove(index);
            }

            return false;
        }
    }


    /// <summary>Orders bundles by scarcity: GPUs, then CPUs, then custom resources (memory in bytes would swamp the rest).</summary>
    private static double Weight(ResourceSet shape) =>
        (shape[ResourceSet.Gpu] * 1e6) + (shape[ResourceSet.Cpu] * 1e3) +
        shape.Items.Where(kv => kv.Key is not (ResourceSet.Cpu or ResourceSet.Gpu or ResourceSet.Memory or ResourceSet.ObjectStoreMemory)).Sum(kv => kv.Value);
}
