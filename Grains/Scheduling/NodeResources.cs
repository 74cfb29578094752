namespace OrleansRay.Scheduling;

/// <summary>The node's resources as the rest of the node sees them: its total and free amounts, actors' lifetime
/// reservations (FIFO among the actors that fit), and placement-group bundles. The amounts live in a
/// <see cref="ResourceLedger"/> guarded by the engine's lock; a change that frees resources lets the engine grant what
/// now fits.</summary>
internal sealed class NodeResources
{
    private readonly SchedulerEngine _engine;
    private readonly LinkedList<ActorResourceRequest> _pendingActors = new();

    public NodeResources(SchedulerEngine engine, ResourceSet total)
    {
        _engine = engine;
        Ledger = new ResourceLedger(total);
    }

    /// <summary>The amounts (read and changed under the engine's lock).</summary>
    public ResourceLedger Ledger { get; }

    /// <summary>The node's total, its placement-group bundles included under Ray's names (see <see cref="BundleKey"/>).</summary>
    public ResourceSet Total => Ledger.Total;

    /// <summary>The free resources now, bundles included under their names.</summary>
    public ResourceSet Available()
    {
        lock (_engine.Gate)
        {
            return Ledger.Available();
        }
    }

    /// <summary>True when <paramref name="shape"/> could be granted here now: its amounts are free and, for GPUs, one
    /// instance has room for each part (free GPU amounts split over several GPUs may not hold a fraction).</summary>
    public bool FitsNow(ResourceSet shape)
    {
        var claim = ResourceClaim.Of(shape);
        lock (_engine.Gate)
        {
            return Ledger.Fits(claim);
        }
    }

    /// <summary>True while some actor waits for its resources here (read without the lock: a caller polling it sees a
    /// change on its next look).</summary>
    public bool HasPendingActors => _pendingActors.Count > 0;

    /// <summary>Reserves an actor's resources for its lifetime; completes when they are free (FIFO among actors), with the
    /// GPU instances it was given (null when it asks for no GPU; hand them back to <see cref="ReleaseForActor"/>).</summary>
    /// <exception cref="InvalidOperationException">(In the task) The shape names a bundle of a placement group this
    /// runtime knows was removed: the actor is refused.</exception>
    public Task<GpuGrant?> AcquireForActorAsync(ResourceSet shape, ActorId actorId, CancellationToken cancellationToken)
    {
        var claim = ResourceClaim.Of(shape);
        foreach (var (bundle, _) in claim.Bundles)
        {
            if (_engine.RemovedGroups.Contains(bundle.PlacementGroupId))
            {
                return Task.FromException<GpuGrant?>(new InvalidOperationException(RemovedPlacementGroups.Why(bundle.PlacementGroupId)));
            }
        }

        lock (_engine.Gate)
        {
            if (Ledger.Fits(claim))
            {
                return Task.FromResult(Ledger.Take(claim));
            }

            var request = new ActorResourceRequest(claim, actorId);
            var node = _pendingActors.AddLast(request);
            if (cancellationToken.CanBeCanceled)
            {
                request.Cancellation = cancellationToken.Register(() =>
                {
                    lock (_engine.Gate)
                    {
                        if (node.List is not null)
                        {
                            _pendingActors.Remove(node);
                        }
                    }

                    request.Completion.TrySetCanceled(cancellationToken);
                });
            }

            return request.Completion.Task;
        }
    }

    /// <summary>True when this node could never hold <paramref name="shape"/>: it asks for more of some resource than the
    /// node has in all (the rule that marks a pending actor's demand infeasible, <see cref="AddActorDemandsLocked"/>). A
    /// shape that names placement-group bundles is judged only with <paramref name="judgeBundles"/> (bundles come and
    /// go): then it cannot be held here when this node holds none of its bundles that could take it, as for an actor
    /// rebuilt here after its bundle's node died, whose group placed the bundle again on another node.</summary>
    public bool CanNeverHold(ResourceSet shape, bool judgeBundles = false)
    {
        var claim = ResourceClaim.Of(shape);
        if (claim.Bundles.Length > 0 && !judgeBundles)
        {
            return false;
        }

        lock (_engine.Gate)
        {
            return !Ledger.FitsTotal(claim);
        }
    }

    /// <summary>Returns an actor's resources when it dies, and the GPU instances it was given.</summary>
    public void ReleaseForActor(ResourceSet shape, GpuGrant? gpus)
    {
        var claim = ResourceClaim.Of(shape);
        _engine.ChangeThenGrant(() =>
        {
            Ledger.Return(claim, gpus);
            return true;
        });
    }

    /// <summary>Reserves placement-group bundles on this node, all or none: their resources leave the free pool for the
    /// bundle ledger, where only the group's tasks and actors (whose shapes name the bundle) take them. Bundles already
    /// held here (a retried reservation) are not reserved twice.</summary>
    public bool ReserveBundles(IReadOnlyList<BundleReservation> bundles)
    {
        ArgumentNullException.ThrowIfNull(bundles);
        if (bundles.Count == 0)
        {
            return true;
        }

        if (!_engine.RemovedGroups.IsEmpty && bundles.Any(b => _engine.RemovedGroups.Contains(b.PlacementGroupId)))
        {
            return false; // a reservation that arrived after its group's removal (it was late): it would never be released
        }

        return _engine.ChangeThenGrant(() => Ledger.ReserveBundles(bundles));
    }

    /// <summary>Returns a placement group's bundles on this node to the free pool (a reservation rolled back). What its
    /// running tasks hold of them is dropped when they end.</summary>
    public void ReleaseBundles(Guid placementGroupId)
    {
        _engine.ChangeThenGrant(() => Ledger.ReleaseBundles(placementGroupId));
    }

    /// <summary>Retires a removed placement group's bundles here: no new tenant takes them, and their resources return to
    /// the free pool once the tenants holding them are gone (<see cref="ResourceLedger.RetireBundles"/>).</summary>
    public void RetireBundles(Guid placementGroupId) => _engine.ChangeThenGrant(() => Ledger.RetireBundles(placementGroupId));

    /// <summary>Under the engine's lock: grants waiting actors whose resources now fit, in arrival order among those that
    /// fit (one that does not fit must not hold up smaller ones behind it).</summary>
    public void GrantActorsLocked()
    {
        for (var node = _pendingActors.First; node is not null;)
        {
            var next = node.Next;
            if (Ledger.Fits(node.Value.Claim))
            {
                _pendingActors.Remove(node);
                node.Value.Grant(Ledger.Take(node.Value.Claim));
            }

            node = next;
        }
    }

    /// <summary>Under the engine's lock: actors waiting for resources, by shape; a shape this node could never hold is
    /// marked infeasible.</summary>
    public void AddActorDemandsLocked(List<ResourceDemandInfo> demands)
    {
        foreach (var group in _pendingActors.GroupBy(a => a.Shape))
        {
            demands.Add(new ResourceDemandInfo(group.Key, group.Count(), !Ledger.FitsTotal(group.First().Claim), IsActor: true));
        }
    }
}
