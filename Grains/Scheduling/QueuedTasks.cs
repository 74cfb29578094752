namespace OrleansRay.Scheduling;

/// <summary>The ready queues as the placer, cancellation and the node's status see them: queued shapes, tasks taken off
/// to spill elsewhere, cancelled tasks taken out, and pending demands. Reads and changes the engine's queues under its
/// lock.</summary>
internal sealed class QueuedTasks
{
    private readonly SchedulerEngine _engine;

    public QueuedTasks(SchedulerEngine engine)
    {
        _engine = engine;
    }

    /// <summary>Takes up to <paramref name="max"/> queued tasks whose shape <paramref name="take"/> accepts, newest
    /// first (the oldest keep their place here): the placer moves them to nodes with room. Tasks other owners sent here
    /// are taken too when <paramref name="includeForeign"/> (their owners re-place them: Ray's spillback reply).</summary>
    public List<TaskSpec> TakeQueued(Func<ResourceSet, bool> take, int max, bool includeForeign = false)
    {
        var taken = new List<TaskSpec>();
        lock (_engine.Gate)
        {
            var waiting = _engine.WaitingClassesLocked;
            for (var i = 0; i < waiting.Count && taken.Count < max; i++)
            {
                var cls = waiting[i];
                if (cls.Ready.Count == 0 || !take(cls.Shape))
                {
                    continue;
                }

                var all = cls.Ready.ToArray();
                var keep = new Queue<TaskSpec>(all.Length);
                var room = max - taken.Count;
                var cut = Math.Max(0, all.Length - room);
                for (var j = 0; j < all.Length; j++)
                {
                    var s = all[j];
                    if (j >= cut && (includeForeign || !s.IsForeign) && !s.Cancelled)
                    {
                        s.State = TaskState.Waiting;
                        taken.Add(s);
                    }
                    else if (!s.Cancelled)
                    {
                        keep.Enqueue(s);
                    }
                }

                cls.Ready.Clear();
                foreach (var s in keep)
                {
                    cls.Ready.Enqueue(s);
                }

                if (cls.Ready.Count == 0)
                {
                    waiting.RemoveAt(i);
                    i--;
                }
            }
        }

        return taken;
    }

    /// <summary>Takes every queued task of placement group <paramref name="placementGroupId"/> (see
    /// <see cref="RemovedPlacementGroups.BelongsTo"/>) out of the queues: the group was removed.</summary>
    public List<TaskSpec> TakeGroup(Guid placementGroupId) =>
        TakeWhere((spec, claim) => RemovedPlacementGroups.BelongsTo(spec, claim, placementGroupId));

    /// <summary>Takes every queued task that <paramref name="belongs"/> accepts (given the task and its shape's claim)
    /// out of the queues, cancelled ones left out of the list; the others keep their order.</summary>
    public List<TaskSpec> TakeWhere(Func<TaskSpec, ResourceClaim, bool> belongs)
    {
        ArgumentNullException.ThrowIfNull(belongs);
        var taken = new List<TaskSpec>();
        lock (_engine.Gate)
        {
            var waiting = _engine.WaitingClassesLocked;
            for (var i = 0; i < waiting.Count; i++)
            {
                var cls = waiting[i];
                var all = cls.Ready.ToArray();
                if (!Array.Exists(all, s => belongs(s, cls.Claim)))
                {
                    continue;
                }

                cls.Ready.Clear();
                foreach (var s in all)
                {
                    if (!belongs(s, cls.Claim))
                    {
                        cls.Ready.Enqueue(s);
                    }
                    else if (!s.Cancelled)
                    {
                        s.State = TaskState.Waiting;
                        taken.Add(s);
                    }
                }

                if (cls.Ready.Count == 0)
                {
                    waiting.RemoveAt(i);
                    i--;
                }
            }
        }

        return taken;
    }

    /// <summary>Queued tasks per shape, for the placer's rebalancing.</summary>
    public List<(ResourceSet Shape, int Count)> QueuedShapes()
    {
        lock (_engine.Gate)
        {
            return _engine.WaitingClassesLocked.Where(c => c.Ready.Count > 0).Select(c => (c.Shape, c.Ready.Count)).ToList();
        }
    }

    /// <summary>Takes a cancelled task out of its ready queue, so it no longer shows as a demand.</summary>
    public void RemoveQueued(TaskSpec spec)
    {
        lock (_engine.Gate)
        {
            if (spec.State != TaskState.Queued || !_engine.TryGetClassLocked(spec.Resources, out var cls) || cls.Ready.Count == 0)
            {
                return;
            }

            var kept = cls.Ready.Where(s => !ReferenceEquals(s, spec)).ToArray();
            cls.Ready.Clear();
            foreach (var s in kept)
            {
                cls.Ready.Enqueue(s);
            }

            if (cls.Ready.Count == 0)
            {
                _engine.WaitingClassesLocked.Remove(cls);
            }
        }
    }

    /// <summary>Pending work by shape: ready tasks waiting for resources, and actors waiting to be placed; a shape this
    /// node could never hold is marked infeasible.</summary>
    public IReadOnlyList<ResourceDemandInfo> Demands()
    {
        lock (_engine.Gate)
        {
            var result = new List<ResourceDemandInfo>();
            foreach (var cls in _engine.WaitingClassesLocked)
            {
                if (cls.Ready.Count > 0)
                {
                    result.Add(new ResourceDemandInfo(cls.Shape, cls.Ready.Count, !_engine.Resources.Ledger.FitsTotal(cls.Claim), IsActor: false));
                }
            }

            _engine.Resources.AddActorDemandsLocked(result);

            return result;
        }
    }
}
