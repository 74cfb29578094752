using OrleansRay.Grains;

namespace OrleansRay.Actors;

/// <summary>Moves the class actors that wait on this node for resources it can never have to a node that can hold them,
/// as soon as the refreshed view of the cluster shows one (Ray schedules an infeasible actor once a node that fits it
/// joins). Such an actor was created while no live node could hold it: its creation landed on its creator's node, where
/// it waits, shown as infeasible; tasks of that shape are placed again from where they were parked, and this is the
/// actors' way.</summary>
/// <remarks>Runs on the refresh loop (<see cref="Placement.ClusterRefresh.Refreshed"/>). Only actors the default, SPREAD
/// or soft node-affinity policy places move, and those of a placement group, to the node that holds their bundle now: a
/// hard node affinity pins the actor. The move itself is the host grain's Orleans migration (<see cref="IActorHostGrain.MoveToAsync"/>).</remarks>
internal sealed class InfeasibleActorMover
{
    private readonly ActorServices _runtime;

    /// <summary>Actors whose move is under way: a refresh during a migration does not ask for it again.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ActorId, byte> _moving = new();

    public InfeasibleActorMover(ActorServices runtime)
    {
        _runtime = runtime;
        runtime.Cluster.Refresh.Refreshed += MoveWhatCanMove;
    }

    private void MoveWhatCanMove()
    {
        // Only an actor waiting for its resources can need a move: a node with many live actors and none waiting pays
        // one read per refresh, not a look at every mailbox.
        if (!_runtime.Scheduler.Resources.HasPendingActors)
        {
            return;
        }

        foreach (var mailbox in _runtime.HostedActors.Mailboxes)
        {
            if (mailbox.Grain is null && mailbox.State == ActorState.Pending && mailbox.OptionsLocked is { } options && mailbox.Ownership is { } owned
                && Movable(options.Placement)
                && _runtime.Scheduler.Resources.CanNeverHold(options.Resources, judgeBundles: options.Placement.Kind == PlacementKind.PlacementGroup)
                && Target(options) is { } target && _moving.TryAdd(owned.Id, 0))
            {
                _ = MoveAsync(owned.Id, target);
            }
        }
    }

    /// <summary>Whether the actor's policy lets it move. A placement group's actor moves too: it waits here only when this
    /// node can never hold its bundle's resources, which happens when it was rebuilt after the bundle's node died (the
    /// rebuild lands where its next call did); once the bundle is placed again, its new node can.</summary>
    private static bool Movable(PlacementHint hint) =>
        hint.Kind is PlacementKind.Default or PlacementKind.Spread or PlacementKind.PlacementGroup || hint is { Kind: PlacementKind.NodeAffinity, Soft: true };

    /// <summary>A live node whose resources can hold the actor, chosen as a new actor's node is; null when none can.</summary>
    private string? Target(ActorOptionsData options)
    {
        var hint = options.Placement.Kind == PlacementKind.NodeAffinity ? PlacementHint.Default : options.Placement;
        var node = _runtime.Cluster.PlaceActor(options.Resources, hint);
        return node is { Value: { } address } && node != _runtime.NodeId
            && _runtime.Cluster.Refresh.PlacementNodes.Any(n => n.Id == node && options.Resources.FitsIn(n.Total))
            ? address
            : null;
    }

    private async Task MoveAsync(ActorId actor, string target)
    {
        try
        {
            await _runtime.GrainFactory.GetGrain<IActorHostGrain>(actor.ToGuid()).MoveToAsync(target).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            ActorLog.MoveFailed(_runtime.Logger, actor, ex.Message);
        }
        finally
        {
            _moving.TryRemove(actor, out _);
        }
    }
}
