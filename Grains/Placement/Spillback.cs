using OrleansRay.Scheduling;
using OrleansRay.Transport;

namespace OrleansRay.Placement;

/// <summary>Ray's spillback of queued work: after each refresh of the cluster view, tasks waiting in this node's queue
/// move to nodes that have room for them now, and tasks this node can never run move to nodes that can.</summary>
internal static class Spillback
{
    /// <summary>Tasks queued here while another node has room for them move there (Ray's spillback of queued work),
    /// as do tasks this node can never run.</summary>
    /// <param name="placer">Places each task taken off this node's queue.</param>
    /// <param name="scheduler">This node's scheduler engine (its queued shapes, its total).</param>
    /// <param name="node">This node's identity.</param>
    /// <param name="nodes">The live nodes other than this one.</param>
    public static void Rebalance(ClusterScheduler placer, SchedulerEngine scheduler, LocalNode node, RemoteNode[] nodes)
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

            foreach (var spec in scheduler.Queued.TakeQueued(s => s.Equals(shape), Math.Min(budget, count)))
            {
                spec.State = TaskState.Waiting;
                if (!placer.TryPlace(spec))
                {
                    scheduler.EnqueueHere(spec);
                }
            }
        }
    }

    private static int EstimateSlots(RemoteNode node, ResourceSet shape)
    {
        var room = node.Room(shape);
        if (room < 0)
        {
            return 0;
        }

        var fits = int.MaxValue;
        foreach (var (name, amount) in shape.Items)
        {
            if (amount > 0)
            {
                fits = Math.Min(fits, 1 + (int)Math.Floor(room * node.Total[name] / amount));
            }
        }

        return fits == int.MaxValue ? 8 : fits;
    }
}
