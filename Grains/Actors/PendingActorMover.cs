using OrleansRay.Grains;
using OrleansRay.Placement;

namespace OrleansRay.Actors;

/// <summary>Moves the class actors that wait on this node for their resources to a node where they can start (Ray's
/// spillback, as the GCS places a pending actor on whichever node has room): an actor this node could never hold goes
/// to a node that can, as soon as the refreshed view of the cluster shows one (Ray schedules an infeasible actor once a
/// node that fits it joins); an actor this node could hold but has no room for goes to a node whose last report shows
/// room for it now, once it has waited here <see cref="BusyWait"/>.</summary>
/// <remarks>
/// <para>An actor waits on a node that cannot hold it when its creation found no live node that could (it landed on
/// its creator's node, shown as infeasible), or when it was rebuilt after its bundle's node died. It waits on a node
/// without room for it when every node was busy at its creation, or when it was rebuilt after its node died: a rebuild
/// starts where the actor's next call arrived, a connected driver's gateway, which may be the busiest node.</para>
/// <para>Runs on the refresh loop (<see cref="ClusterRefresh.Refreshed"/>). Which actors may move: those the default
/// or SPREAD policy places; a node affinity's when this is not its node (it was rebuilt here after its node died), and
/// a soft one's also when its own node can never hold it; a placement group's only when this node can never hold it (its
/// bundle moved after a node died), to the node that holds the bundle now. A node affinity's actor on its own node
/// stays (Ray's soft affinity waits on a live node that is busy). The move itself is the host grain's Orleans
/// migration (<see cref="IActorHostGrain.MoveToAsync"/>), which carries the calls queued for the actor.</para>
/// </remarks>
internal sealed class PendingActorMover
{
    /// <summary>How long an actor this node could hold waits for room here before it moves: two refreshes, so that a node
    /// it just came to (whose room the last report showed) is not left again before its own report is fresh, and a
    /// node about to free resources gets the chance.</summary>
    internal static readonly TimeSpan BusyWait = ClusterScheduler.RefreshPeriod * 2;

    private readonly ActorServices _runtime;

    /// <summary>Actors whose move is under way: a refresh during a migration does not ask for it again.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ActorId, byte> _moving = new();

    public PendingActorMover(ActorServices runtime)
    {
        _runtime = runtime;
        runtime.Cluster.Refresh.Refreshed += MoveWhatCanMove;
    }

    private void MoveWhatCanMove()
    {
        // Only an actor waiting for its resources can need a move, and only where there is another node to move to: a
        // node with many live actors and none waiting (or a cluster of one) pays one read per refresh, not a look at every
        // mailbox.
        if (!_runtime.Scheduler.Resources.HasPendingActors || _runtime.Cluster.Refresh.PlacementNodes.Length == 0)
        {
            return;
        }

        var now = Environment.TickCount64;
        List<(ActorMailbox Mailbox, ActorOptionsData Options, ActorId Id)>? waiting = null;
        foreach (var mailbox in _runtime.HostedActors.Mailboxes)
        {
            // Pending and not holding its resources: an actor whose constructor runs holds them, and is no candidate.
            if (mailbox.Grain is null && mailbox.State == ActorState.Pending && !mailbox.Resources.Holds && !mailbox.HostDetached
                && mailbox.OptionsLocked is { } options && mailbox.Ownership is { } owned && !_moving.ContainsKey(owned.Id))
            {
                (waiting ??= []).Add((mailbox, options, owned.Id));
            }
        }

        if (waiting is null)
        {
            return;
        }

        // The longest waiting first: it takes the room another node shows before a younger actor does.
        foreach (var (mailbox, options, id) in waiting.OrderBy(w => w.Mailbox.Resources.WaitingSince))
        {
            if (Target(options, mailbox.Resources.WaitingSince, now) is { } target && _moving.TryAdd(id, 0))
            {
                _ = MoveAsync(id, target);
            }
        }
    }

    /// <summary>Where the actor should go: a live node that can hold it when this one never can, else one with room for
    /// it now when it has waited here past <see cref="BusyWait"/> and its policy lets it leave a busy node; null when it
    /// stays.</summary>
    private string? Target(ActorOptionsData options, long waitingSince, long now) =>
        TargetOf(_runtime, options, waitedEnough: waitingSince != 0 && now - waitingSince >= (long)BusyWait.TotalMilliseconds);

    /// <summary>Where an actor waiting on this node for its resources should go: a live node that can hold it when this
    /// one never can, else, when <paramref name="waitedEnough"/> and its policy lets it leave a busy node, a live node
    /// whose last report shows room for it now (that node is charged for it); null when it stays.</summary>
    /// <param name="runtime">This node's services.</param>
    /// <param name="options">The actor's options (resources, scheduling strategy).</param>
    /// <param name="waitedEnough">Whether it waited here long enough to leave a node that is only busy: past
    /// <see cref="BusyWait"/>, or just rebuilt here (a node it never chose).</param>
    internal static string? TargetOf(ActorServices runtime, ActorOptionsData options, bool waitedEnough)
    {
        var hint = options.Placement;
        var resources = runtime.Scheduler.Resources;
        if (resources.CanNeverHold(options.Resources, judgeBundles: hint.Kind == PlacementKind.PlacementGroup))
        {
            return MayLeaveWhenItCannotStart(hint, runtime.NodeId) ? NodeThatCanHold(runtime, options, hint.Kind == PlacementKind.NodeAffinity ? PlacementHint.Default : hint) : null;
        }

        // A fraction of a GPU is not moved for room: a node reports its free GPU amount summed over its GPUs, which may
        // show room for 0.6 where no one GPU has it, and the actor would go from node to node without starting.
        return waitedEnough && MayLeaveWhenBusy(hint, runtime.NodeId) && options.Resources[ResourceSet.Gpu] is not (> 0 and < 1)
            && !resources.FitsNow(options.Resources)
            && ActorPlacement.WhereRoomIs(options.Resources, runtime.Cluster.Refresh.PlacementNodes) is { Value: { } address } node && node != runtime.NodeId
            ? address
            : null;
    }

    /// <summary>Whether the actor's policy lets it leave a node that can never hold it. A placement group's actor waits
    /// on such a node only after it was rebuilt there when its bundle's node died; once the bundle is placed again, its
    /// new node can hold it.</summary>
    private static bool MayLeaveWhenItCannotStart(PlacementHint hint, NodeId here) =>
        hint.Kind is PlacementKind.Default or PlacementKind.Spread or PlacementKind.PlacementGroup
        || (hint.Kind == PlacementKind.NodeAffinity && (hint.Soft || hint.Node != here));

    /// <summary>Whether the actor's policy lets it leave a node that could hold it but is busy. Not a placement group's
    /// (its bundle is here), not a node affinity's on its own node (Ray's soft affinity too waits on a live node that is
    /// busy). A node-affinity actor on another node was rebuilt there after its node died: it may go where there is room.</summary>
    private static bool MayLeaveWhenBusy(PlacementHint hint, NodeId here) =>
        hint.Kind is PlacementKind.Default or PlacementKind.Spread || (hint.Kind == PlacementKind.NodeAffinity && hint.Node != here);

    /// <summary>A live node whose resources can hold the actor, chosen as a new actor's node is; null when none can.</summary>
    private static string? NodeThatCanHold(ActorServices runtime, ActorOptionsData options, PlacementHint hint) =>
        runtime.Cluster.PlaceActor(options.Resources, hint) is { Value: { } address } node && node != runtime.NodeId
        && runtime.Cluster.Refresh.PlacementNodes.Any(n => n.Id == node && options.Resources.FitsIn(n.Total))
            ? address
            : null;

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
