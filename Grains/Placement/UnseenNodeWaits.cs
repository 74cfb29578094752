using System.Runtime.CompilerServices;
using OrleansRay.Grains;
using OrleansRay.Scheduling;

namespace OrleansRay.Placement;

/// <summary>Tasks with a hard node affinity to a node this runtime's view has never seen: the node may have joined since
/// the last refresh (its id came from a fresher read of the node table, such as <c>ray.NodesAsync()</c>), so the task
/// waits for the next refreshes instead of failing at once as for a node that is not alive. After
/// <see cref="Refreshes"/> refreshes without the node it fails as before. Not shown as demands: such a task is not
/// infeasible, it names a node.</summary>
internal sealed class UnseenNodeWaits
{
    /// <summary>Refreshes a task waits for its node (at <see cref="ClusterScheduler.RefreshPeriod"/> each): two, since the
    /// first may have read the node table before the task was submitted.</summary>
    public const int Refreshes = 2;

    private readonly object _gate = new();
    private readonly List<TaskSpec> _waiting = new();

    /// <summary>How many refreshes each task waited already; weak, so a task placed later leaves nothing behind.</summary>
    private readonly ConditionalWeakTable<TaskSpec, StrongBox<int>> _waited = new();

    /// <summary>Holds <paramref name="spec"/>, a hard node-affinity task, until the next refresh when
    /// <paramref name="view"/> never showed its node; false for a node seen before (alive or dead), for another kind of
    /// placement, or once it waited its <see cref="Refreshes"/> (the caller fails it).</summary>
    public bool TryWait(TaskSpec spec, ClusterRefresh view)
    {
        if (spec.Placement.Kind != PlacementKind.NodeAffinity || view.HasSeen(spec.Placement.Node))
        {
            return false;
        }

        var waited = _waited.GetOrCreateValue(spec);
        lock (_gate)
        {
            if (waited.Value >= Refreshes)
            {
                _waited.Remove(spec);
                return false;
            }

            waited.Value++;
            _waiting.Add(spec);
            return true;
        }
    }

    /// <summary>After a refresh: hands every waiting task still wanted back to <paramref name="scheduler"/>, which places
    /// it again (on its node if the refresh showed it, else it waits once more or fails).</summary>
    public void Retry(SchedulerEngine scheduler)
    {
        TaskSpec[] waiting;
        lock (_gate)
        {
            if (_waiting.Count == 0)
            {
                return;
            }

            waiting = [.. _waiting];
            _waiting.Clear();
        }

        foreach (var spec in waiting)
        {
            if (!spec.Cancelled && !spec.ReturnsComplete)
            {
                scheduler.Enqueue(spec);
            }
        }
    }
}
