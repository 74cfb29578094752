namespace OrleansRay.Scheduling;

/// <summary>What a node's engine does when a placement group is removed: the group's work leaves its queues, and its
/// running leases are listed for cancellation (the Node layer ends them, and kills the group's actors).</summary>
internal static class RemovedGroupWork
{
    /// <summary>Placement group <paramref name="placementGroupId"/> was removed: records it in
    /// <paramref name="engine"/> (its work is refused there from now on), retires its bundles there (no new tenant; their
    /// resources return to the node once the tenants are gone, <see cref="ResourceLedger.RetireBundles"/>), and takes
    /// its queued tasks out of the queues. Calling it again for the same group finds nothing more to do.</summary>
    /// <returns>The group's tasks that were queued (none started: fail them) and those running now (cancel them by force:
    /// each lease's share of the bundles comes back as it is abandoned).</returns>
    public static (List<TaskSpec> Queued, List<TaskSpec> Running) Take(SchedulerEngine engine, Guid placementGroupId)
    {
        // In this order: a task enqueued from now on is refused; nothing is granted the bundles; then no queued task is
        // left to start; so the leases listed last are all the group's work that can hold its resources.
        engine.RemovedGroups.Add(placementGroupId);
        engine.Resources.RetireBundles(placementGroupId);
        var queued = engine.Queued.TakeGroup(placementGroupId);
        var running = new List<TaskSpec>();
        lock (engine.Gate)
        {
            foreach (var lease in engine.LeasesLocked)
            {
                if (!lease.Abandoned && lease.Current is { State: TaskState.Running } spec && ReferenceEquals(spec.RunningLease, lease)
                    && RemovedPlacementGroups.BelongsTo(spec, lease.Class.Claim, placementGroupId))
                {
                    running.Add(spec);
                }
            }
        }

        return (queued, running);
    }
}
