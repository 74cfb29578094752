using OrleansRay.Grains;
using OrleansRay.Scheduling;

namespace OrleansRay.Placement;

/// <summary>Tasks this runtime owns that fit no live node now: shown as infeasible demands (what the autoscaler and the
/// dashboard read) and queued again at each refresh of the cluster view, so one that fits a node seen since goes.</summary>
internal sealed class ParkedTasks
{
    private readonly object _gate = new();
    private readonly List<TaskSpec> _parked = new();

    /// <summary>Hard node-affinity tasks waiting for a node the view has not seen yet, retried with the parked ones (not
    /// demands: they name a node).</summary>
    public UnseenNodeWaits Unseen { get; } = new();

    /// <summary>Parks <paramref name="spec"/> until the next refresh.</summary>
    public void Add(TaskSpec spec)
    {
        lock (_gate)
        {
            _parked.Add(spec);
        }
    }

    /// <summary>The parked tasks still wanted (not cancelled, not finished), grouped by shape, all infeasible.</summary>
    public List<ResourceDemandInfo> Demands()
    {
        lock (_gate)
        {
            return _parked.Where(s => !s.Cancelled && !s.ReturnsComplete)
                .GroupBy(s => s.Resources)
                .Select(g => new ResourceDemandInfo(g.Key, g.Count(), IsInfeasible: true, IsActor: false))
                .ToList();
        }
    }

    /// <summary>Hands every parked task still wanted back to <paramref name="scheduler"/>, which places it again (and the
    /// <see cref="Unseen"/> ones).</summary>
    public void Retry(SchedulerEngine scheduler)
    {
        Unseen.Retry(scheduler);
        List<TaskSpec> parked;
        lock (_gate)
        {
            if (_parked.Count == 0)
            {
                return;
            }

            parked = _parked.ToList();
            _parked.Clear();
        }

        foreach (var spec in parked)
        {
            if (!spec.Cancelled && !spec.ReturnsComplete)
            {
                scheduler.Enqueue(spec);
            }
        }
    }
}
