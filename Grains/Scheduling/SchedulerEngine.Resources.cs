namespace OrleansRay.Scheduling;

/// <summary>The node's resources as the rest of the node sees them: its total and free amounts, actors' lifetime
/// reservations, and placement-group bundles. The amounts live in a <see cref="ResourceLedger"/> guarded by <c>_gate</c>.</summary>
internal sealed partial class SchedulerEngine
{
    /// <summary>The node's total, its placement-group bundles included under Ray's names (see <see cref="BundleKey"/>).</summary>
    public ResourceSet Total => _resources.Total;

    /// <summary>The free resources now, bundles included under their names.</summary>
    public ResourceSet Available()
    {
        lock (_gate)
        {
            return _resources.Available();
        }
    }

    /// <summary>Reserves an actor's resources for its lifetime; completes when they are free (FIFO among actors).</summary>
    public Task AcquireForActorAsync(ResourceSet shape, ActorId actorId, CancellationToken cancellationToken)
    {
        var claim = ResourceClaim.Of(shape);
        lock (_gate)
        {
            if (_resources.Fits(claim))
            {
                _resources.Take(claim);
                return Task.CompletedTask;
            }

            var request = new ActorResourceRequest(claim, actorId);
            var node = _pendingActors.AddLast(request);
            if (cancellationToken.CanBeCanceled)
            {
                request.Cancellation = cancellationToken.Register(() =>
                {
                    lock (_gate)
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

    /// <summary>Returns an actor's resources when it dies.</summary>
    public void ReleaseForActor(ResourceSet shape)
    {
        var claim = ResourceClaim.Of(shape);
        List<Lease>? started = null;
        lock (_gate)
        {
            _resources.Return(claim);
            GrantLocked(ref started);
        }

        Start(started);
    }

    /// <summary>Changes the node's own total (e.g. a test or a resize), bundles kept as reserved; the free amounts move
    /// by the same difference.</summary>
    public void SetTotal(ResourceSet total)
    {
        List<Lease>? started = null;
        lock (_gate)
        {
            _resources.SetNodeTotal(total);
            GrantLocked(ref started);
        }

        Start(started);
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

        List<Lease>? started = null;
        lock (_gate)
        {
            if (!_resources.ReserveBundles(bundles))
            {
                return false;
            }

            GrantLocked(ref started);
        }

        Start(started);
        return true;
    }

    /// <summary>Returns a placement group's bundles on this node to the free pool. What its running tasks hold of them
    /// is dropped when they end.</summary>
    public void ReleaseBundles(Guid placementGroupId)
    {
        List<Lease>? started = null;
        lock (_gate)
        {
            if (!_resources.ReleaseBundles(placementGroupId))
            {
                return;
            }

            GrantLocked(ref started);
        }

        Start(started);
    }
}
