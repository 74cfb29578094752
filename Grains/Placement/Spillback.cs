using System.Collections.Concurrent;
using OrleansRay.Grains;
using OrleansRay.Scheduling;
using OrleansRay.Transport;

namespace OrleansRay.Placement;

/// <summary>Ray's spillback of queued work: after each refresh of the cluster view, tasks waiting in this node's queue
/// move to nodes that have room for them now, and tasks this node can never run move to nodes that can.</summary>
internal static class Spillback
{
    /// <summary>Tasks queued here while another node has room for them move there (Ray's spillback of queued work),
    /// as do tasks this node can never run.</summary>
    /// <remarks>A task this node owns is placed again here. A task another owner sent here (a connected driver's, or
    /// another node's) is handed back to that owner with the node that has room (<see cref="TaskAttempts.SpillBack"/>),
    /// and the owner places it again (<see cref="TakeBack"/>): the owner always knows where its task is, so node-death
    /// retries and cancellation still reach it.</remarks>
    /// <param name="placer">Places each task taken off this node's queue.</param>
    /// <param name="scheduler">This node's scheduler engine (its queued shapes, its total).</param>
    /// <param name="attempts">Hands foreign tasks back to their owners.</param>
    /// <param name="node">This node's identity.</param>
    /// <param name="nodes">The live nodes other than this one.</param>
    public static void Rebalance(ClusterScheduler placer, SchedulerEngine scheduler, TaskAttempts attempts, LocalNode node, RemoteNode[] nodes)
    {
        if (nodes.Length == 0 || !node.CanExecute)
        {
            return;
        }

        foreach (var (shape, count) in scheduler.Queued.QueuedShapes())
        {
            var infeasibleHere = !shape.FitsIn(scheduler.Resources.Total);
            var budget = 0;
            foreach (var other in nodes)
            {
                if (!shape.FitsIn(other.Total))
                {
                    continue;
                }

                budget += infeasibleHere ? count : EstimateSlots(other, shape);
            }

            if (budget == 0)
            {
                continue;
            }

            foreach (var spec in scheduler.Queued.TakeQueued(s => s.Equals(shape), Math.Min(budget, count), includeForeign: true))
            {
                spec.State = TaskState.Waiting;
                if (spec.IsForeign)
                {
                    if (Roomiest(nodes, shape, infeasibleHere) is { } target)
                    {
                        target.Charge(shape); // counts as taken there until its next report, as a send does
                        attempts.SpillBack(spec, target.Id);
                    }
                    else
                    {
                        scheduler.EnqueueHere(spec);
                    }
                }
                else if (!placer.TryPlace(spec))
                {
                    scheduler.EnqueueHere(spec);
                }
            }
        }
    }

    /// <summary>The node with the most room for <paramref name="shape"/> now; when this node can never run it, any node
    /// whose total holds it (the least loaded by room). Null when none.</summary>
    private static RemoteNode? Roomiest(RemoteNode[] nodes, ResourceSet shape, bool infeasibleHere)
    {
        RemoteNode? best = null;
        var bestRoom = double.NegativeInfinity;
        foreach (var other in nodes)
        {
            if (!other.IsAlive || !shape.FitsIn(other.Total))
            {
                continue;
            }

            var room = other.Room(shape);
            if ((room >= 0 || infeasibleHere) && room > bestRoom)
            {
                best = other;
                bestRoom = room;
            }
        }

        return best;
    }

    /// <summary>The owner's side of a spillback reply (<see cref="INodeEndpoint.SpilledBackAsync"/>): node
    /// <paramref name="from"/> handed back task <paramref name="taskId"/>, suggesting <paramref name="suggested"/>.
    /// The owner takes it back only while its record has the task on that node (a node death or a result may have taken
    /// it first: then the node's copy is not its to run), and places it again itself: on the suggested node while this
    /// owner sees it alive and able to hold the task, else through its placer as when it first placed it.</summary>
    public static SpillbackAnswer TakeBack(ClusterScheduler placer, SchedulerEngine scheduler, NodeId from, TaskId taskId, NodeId suggested)
    {
        var answer = placer.TryTakeBack(taskId, from, out var spec);
        if (answer != SpillbackAnswer.Taken)
        {
            return answer;
        }

        spec.RemoteNode = null;
        spec.Attempt--; // the attempt sent there never started
        if (spec.Cancelled || spec.ReturnsComplete)
        {
            return SpillbackAnswer.Taken; // cancelled meanwhile: its returns already failed as cancelled
        }

        spec.State = TaskState.Waiting;
        // Like Ray's owner, it goes where the spillback points (that node saw room there, and counted the task against it)
        // while this owner sees that node alive and able to hold it; else its placer decides, as when it first placed it.
        var target = placer.Nodes.FirstOrDefault(n => n.Id == suggested && n.IsAlive);
        if (target is null || !spec.Resources.FitsIn(target.Total) || !placer.SendTo(spec, target))
        {
            scheduler.Enqueue(spec);
        }

        return SpillbackAnswer.Taken;
    }

    /// <summary>Takes task <paramref name="id"/> out of the owner's record of tasks on other nodes
    /// (<paramref name="inFlight"/>), because node <paramref name="from"/> spilled it back: taken when the record had it
    /// there (a node death or a result did not take it first; then it is the caller's); kept there when it is bound to
    /// that node (node affinity, a bundle) and not cancelled; else not that node's to run.</summary>
    public static SpillbackAnswer TryTakeBack(ConcurrentDictionary<TaskId, TaskSpec> inFlight, TaskId id, NodeId from, out TaskSpec spec)
    {
        if (!inFlight.TryGetValue(id, out spec!) || spec.RemoteNode is not RemoteNode at || at.Id != from)
        {
            return SpillbackAnswer.NotYours;
        }

        if (!spec.Cancelled && spec.Placement.Kind is PlacementKind.NodeAffinity or PlacementKind.PlacementGroup)
        {
            return SpillbackAnswer.Keep;
        }

        // Untrack is the claim: a node death takes its tasks out of the node (TakeAll) before re-running them.
        return at.Untrack(spec) && inFlight.TryRemove(id, out _) ? SpillbackAnswer.Taken : SpillbackAnswer.NotYours;
    }

    private static int EstimateSlots(RemoteNode node, ResourceSet shape)
    {
        var room = node.Room(shape);
        if (room < 0)
        {
            return 0;
        }

        var fits = int.MaxValue;
        var names = shape.Names;
        var amounts = shape.Amounts;
        for (var i = 0; i < names.Length; i++)
        {
            if (amounts[i] > 0)
            {
                fits = Math.Min(fits, 1 + (int)Math.Floor(room * node.Total[names[i]] / amounts[i]));
            }
        }

        return fits == int.MaxValue ? 8 : fits;
    }
}
