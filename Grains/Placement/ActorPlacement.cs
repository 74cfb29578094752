using OrleansRay.Scheduling;
using OrleansRay.Transport;

namespace OrleansRay.Placement;

/// <summary>Placement of new actors across the cluster: node affinity, SPREAD (round robin over the nodes that fit),
/// else this node while it has room, else the node with the most room (Ray's hybrid policy for actors).</summary>
internal sealed class ActorPlacement
{
    private readonly LocalNode _node;
    private readonly SchedulerEngine _scheduler;
    private int _spreadCursor;

    public ActorPlacement(LocalNode node, SchedulerEngine scheduler)
    {
        _node = node;
        _scheduler = scheduler;
    }

    /// <summary>Chooses the node for a new actor (null: no preference, it lives where its creation lands — this node
    /// when it runs work). Same policies as tasks; the chosen node's free resources are charged here until its next
    /// report, so a burst of actors spreads.</summary>
    /// <param name="shape">The actor's resources.</param>
    /// <param name="hint">Its scheduling strategy.</param>
    /// <param name="nodes">The live nodes other than this one.</param>
    /// <param name="view">The view the nodes come from: whether it ever showed a node (<see cref="ClusterRefresh.HasSeen"/>).</param>
    public NodeId? Place(ResourceSet shape, PlacementHint hint, RemoteNode[] nodes, ClusterRefresh view)
    {
        // A hard affinity to a node this view has never seen: the node joined since the last refresh (its id came from
        // a fresher read of the node table), so the creation goes there and its placement waits for the node
        // (ActorHostPlacement). Placed as if it had no affinity, the actor started where the node's resources were not.
        if (hint is { Kind: PlacementKind.NodeAffinity, Soft: false, Node.Value: not null } && hint.Node != _node.NodeId && !view.HasSeen(hint.Node))
        {
            return hint.Node;
        }

        if (nodes.Length == 0)
        {
            return null;
        }

        var canLiveHere = _node.CanExecute && shape.FitsIn(_scheduler.Resources.Total);
        switch (hint.Kind)
        {
            case PlacementKind.PlacementGroup when hint.Node.Value is not null:
                // The bundle's node (as the creator's handle knows it) holds the bundle even before its next report
                // shows it; a report that shows the group's resources without room for this actor means the handle is
                // stale (the bundle moved after a node died), and the hybrid policy below decides.
                if (hint.Node == _node.NodeId)
                {
                    if (_node.CanExecute && shape.FitsIn(_scheduler.Resources.Total))
                    {
                        return _node.NodeId;
                    }
                }
                else if (nodes.FirstOrDefault(n => n.Id == hint.Node) is { } holder && (shape.FitsIn(holder.Total) || !ShowsGroup(holder, hint.PlacementGroupId)))
                {
                    holder.Charge(shape);
                    return holder.Id;
                }

                break;
            case PlacementKind.NodeAffinity:
                if (hint.Node == _node.NodeId && _node.CanExecute)
                {
                    return _node.NodeId;
                }

                if (nodes.FirstOrDefault(n => n.Id == hint.Node) is { } target)
                {
                    target.Charge(shape);
                    return target.Id;
                }

                break;
            case PlacementKind.Spread:
                {
                    var candidates = new List<RemoteNode?>();
                    if (canLiveHere)
                    {
                        candidates.Add(null);
                    }

                    candidates.AddRange(nodes.Where(n => shape.FitsIn(n.Total)));
                    if (candidates.Count > 0)
                    {
                        var pick = candidates[(int)((uint)Interlocked.Increment(ref _spreadCursor) % (uint)candidates.Count)];
                        pick?.Charge(shape);
                        return pick?.Id ?? _node.NodeId;
                    }

                    break;
                }
        }

        if (canLiveHere && _scheduler.Resources.FitsNow(shape))
        {
            return _node.NodeId;
        }

        var best = MostRoom(shape, nodes) ?? (canLiveHere ? null : nodes.FirstOrDefault(n => shape.FitsIn(n.Total)));
        best?.Charge(shape);
        return best?.Id ?? (canLiveHere ? _node.NodeId : null);
    }

    /// <summary>The node among <paramref name="nodes"/> whose last report shows the most room for <paramref name="shape"/>
    /// now, charged for it until its next report (so that the next actor placed considers what is left); null when none
    /// has room. What moves an actor waiting on a busy node (Ray's spillback).</summary>
    public static NodeId? WhereRoomIs(ResourceSet shape, RemoteNode[] nodes)
    {
        var best = MostRoom(shape, nodes);
        best?.Charge(shape);
        return best?.Id;
    }

    private static RemoteNode? MostRoom(ResourceSet shape, RemoteNode[] nodes)
    {
        RemoteNode? best = null;
        var bestRoom = double.NegativeInfinity;
        foreach (var node in nodes)
        {
            var room = node.Room(shape);
            if (room >= 0 && room > bestRoom)
            {
                (best, bestRoom) = (node, room);
            }
        }

        return best;
    }

    /// <summary>True when <paramref name="node"/>'s last report lists resources of a bundle of <paramref name="group"/>.</summary>
    private static bool ShowsGroup(RemoteNode node, Guid group) =>
        node.Total.Items.Any(r => BundleKey.TryParse(r.Key, out _, out var key) && key.PlacementGroupId == group);
}
