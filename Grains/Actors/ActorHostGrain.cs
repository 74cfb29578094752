using Microsoft.Extensions.Logging;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;
using OrleansRay.Grains;

namespace OrleansRay.Actors;

/// <summary>The grain face of an actor: receives creation, call batches and kills, and hands them to its mailbox.</summary>
/// <remarks>
/// [KeepAlive]: an actor's state lives in this activation, so Orleans must never collect it for idleness; once the actor
/// is dead and its node's registry drops it (<see cref="HostedActorRegistry.DeadKept"/> deaths later), the activation
/// deactivates itself, and a later call's activation answers from the record. Methods only
/// enqueue and return; the actor's code runs on the node's worker threads, so the grain is never busy for long.
/// Placement: the creator picks the node by resources and passes it as Orleans' placement hint, which
/// <see cref="Placement.ActorHostPlacement"/> honours, waiting for a node that is still joining; an activation that
/// finds no instance (its node died, the head restarted) rebuilds the actor from its control-store record, counting a
/// restart.
/// The activation must outlive any other node's death: that holds because every OrleansRay silo's default grain
/// directory is Orleans' distributed one (UseOrleansRay), which recovers a dead silo's registrations from the survivors;
/// the in-cluster default deactivated this grain wherever its registration had been on the dead silo (ADR 0010).
/// </remarks>
[KeepAlive]
[Placement.ActorHostPlacement]
[GrainType("orleansray.actorhost")] // not Orleans' default "actorhost": an application grain class of that name would clash (hosting)
internal sealed class ActorHostGrain : Grain, IActorHostGrain, IGrainMigrationParticipant, IDisposable
{
    private readonly ActorMailbox _mailbox;
    private readonly ActorServices _runtime;
    private readonly ILogger _logger;
    private readonly IClusterMembershipService _membership;

    /// <summary>The actor this activation handed to another node (<see cref="MoveToAsync"/>), which its migration carries.</summary>
    private ActorHandover? _handover;

    /// <summary>True once Orleans took <see cref="_handover"/> into the migration context.</summary>
    private bool _dehydrated;

    public ActorHostGrain(ActorServices runtime, IClusterMembershipService membership, ILogger<ActorHostGrain> logger)
    {
        _runtime = runtime;
        _membership = membership;
        _logger = logger;
        _mailbox = new ActorMailbox(runtime, logger);
        // A dead actor's activation would otherwise stay for good ([KeepAlive]): ~10 KB per actor a cluster ever killed.
        runtime.HostedActors.WhenEvicted(_mailbox, () => GrainContext.Deactivate(new DeactivationReason(DeactivationReasonCode.ApplicationRequested, "a dead actor left the node's registry")));
    }

    public async Task CreateAsync(ActorCreationSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (_mailbox.IsCreated)
        {
            return;
        }

        await _runtime.ActorTable.RegisterAsync(spec);
        if ((JobEnded(spec) ?? Unschedulable(spec)) is { } why)
        {
            _mailbox.StartDead(spec, why);
            return;
        }

        _mailbox.Start(spec);
        _runtime.Cluster.Occupancy?.WorkArrived(); // hosted now: a draining node keeps it and stops draining
    }

    /// <summary>This activation is going away: callers on this node stop handing calls to its mailbox directly (they
    /// go through the grain again, which reaches the actor's next activation).</summary>
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _mailbox.HostDetached = true;
        return base.OnDeactivateAsync(reason, cancellationToken);
    }

    public async Task<ActorCallsAccepted> SubmitAsync(ActorCallBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (!_mailbox.IsCreated)
        {
            await RecoverAsync();
        }

        _mailbox.Submit(batch);
        return new ActorCallsAccepted(_runtime.NodeId.Value ?? string.Empty, _mailbox.MaxTaskRetries);
    }

    public async Task<ActorCallsAccepted?> SubmitLoneAsync(ActorCallBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (!_mailbox.IsCreated || _mailbox.HostDetached || batch.Calls is not [{ Streaming: false, Skip: false } call])
        {
            return null; // rebuilding the actor is SubmitAsync's (a turn of its own, never interleaved)
        }

        var result = await _runtime.Replies.CarryResultAsync(call.ReturnId, () => _mailbox.Submit(batch));
        return new ActorCallsAccepted(_runtime.NodeId.Value ?? string.Empty, _mailbox.MaxTaskRetries) { Result = result };
    }

    public Task CancelCallAsync(WorkerId caller, long sequence)
    {
        // No recovery here: a cancel needs no instance, and is kept until its call arrives.
        _mailbox.CancelCall(caller, sequence);
        return Task.CompletedTask;
    }

    public async Task KillAsync(bool noRestart, string reason)
    {
        if (!_mailbox.IsCreated)
        {
            if (noRestart)
            {
                // No instance here: record the kill so no later activation brings the actor back. No node: it never lived
                // here, and its row keeps the node it lived on (the state API lists it there, DEAD, once that node is gone).
                await _runtime.ActorTable.ReportAsync(ActorId.FromGuid(this.GetPrimaryKey()), ActorState.Dead, string.Empty);
                return;
            }

            await RecoverAsync();
        }

        _mailbox.Kill(noRestart, reason);
    }

    public async Task<ActorLocation> LocateAsync()
    {
        if (!_mailbox.IsCreated)
        {
            await RecoverAsync(forCalls: false);

            // An actor behind a grain interface rebuilt here for its grain's placement (ActorGrainPlacement asks this
            // first): if it cannot start here now while another node has room, it goes there before its grain activation
            // exists, and the grain is placed there. (Left here, the grain's calls would wait for this node's resources
            // until Orleans' response timeout.) A class actor moves with its queued calls (PendingActorMover).
            if (_mailbox.Grain is not null && _mailbox.State == ActorState.Pending && _mailbox.OptionsLocked is { } options
                && PendingActorMover.TargetOf(_runtime, options, waitedEnough: true) is { } target && HandOver(target, grainUnattached: true))
            {
                return new ActorLocation(target, _mailbox.MaxTaskRetries, Dead: false);
            }
        }

        return new ActorLocation(_runtime.NodeId.Value ?? string.Empty, _mailbox.MaxTaskRetries, !_mailbox.IsCreated || _mailbox.State == ActorState.Dead);
    }

    public async Task<ActorInfo?> GetInfoAsync()
    {
        if (!_mailbox.IsCreated)
        {
            await RecoverAsync(forCalls: false);
        }

        return _mailbox.Info();
    }

    public Task MoveToAsync(string node)
    {
        HandOver(node, grainUnattached: false);
        return Task.CompletedTask;
    }

    /// <summary>Hands the actor, waiting here for its resources, to <paramref name="node"/> (a silo address) and migrates
    /// this activation there; false when it is not such an actor (any more), or <paramref name="node"/> is this node.</summary>
    private bool HandOver(string node, bool grainUnattached)
    {
        // Only to a silo Orleans has as active now: the cluster view that chose it may still list a node that left or
        // died, and a migration Orleans cannot place goes nowhere (Dispose then takes the actor back).
        var silo = SiloAddress.FromParsableString(node);
        if (_handover is not null || string.Equals(node, _runtime.NodeId.Value, StringComparison.Ordinal)
            || _membership.CurrentSnapshot.GetSiloStatus(silo) != SiloStatus.Active
            || _mailbox.TryHandOver(grainUnattached) is not { } handover)
        {
            return false;
        }

        // The actor is handed over now, not when the activation dehydrates: its resource request is withdrawn at once, so
        // resources freed here meanwhile cannot start it on this node as well (it would then run twice). Orleans migrates
        // the activation once it is idle, to the node the placement hint names (ActorHostPlacement honours it).
        _handover = handover;
        _runtime.HostedActors.Remove(handover.Spec.ActorId, _mailbox);
        ActorLog.ActorMoving(_logger, handover.Spec.ClassName, handover.Spec.ActorId, node);
        RequestContext.Set(IPlacementDirector.PlacementHintKey, silo);
        try
        {
            MigrateOnIdle();
        }
        finally
        {
            RequestContext.Remove(IPlacementDirector.PlacementHintKey);
        }

        return true;
    }

    /// <summary>The activation migrates (<see cref="MoveToAsync"/>): the class actor it handed over, never started, goes
    /// along with its queued calls; it is no longer this node's.</summary>
    public void OnDehydrate(IDehydrationContext dehydrationContext)
    {
        ArgumentNullException.ThrowIfNull(dehydrationContext);
        if (_handover is { } handover)
        {
            handover.Write(dehydrationContext);
            _dehydrated = true;
        }
    }

    /// <summary>Orleans is done with this activation. One that handed its actor over but was never dehydrated did not
    /// migrate (Orleans placed it nowhere else: the target left in the meantime), so the actor would be lost with its
    /// queued calls: it goes back to the node's registry, and a call activates the host here again, which takes it back
    /// (<see cref="RecoverAsync"/>) and starts it, or moves it again.</summary>
    public void Dispose()
    {
        if (_handover is { } handover && !_dehydrated)
        {
            var id = handover.Spec.ActorId;
            _runtime.HostedActors.Return(id, handover);
            var grains = _runtime.GrainFactory;
            var logger = _logger;
            _ = Task.Run(() => grains.GetGrain<IActorHostGrain>(id.ToGuid()).LocateAsync()).ContinueWith(
                located => ActorLog.TakeBackFailed(logger, id, located.Exception!.GetBaseException().Message),
                CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>The new activation of a migrated actor: it starts here with the calls it brought (its record is already
    /// in the actor table).</summary>
    public void OnRehydrate(IRehydrationContext rehydrationContext)
    {
        ArgumentNullException.ThrowIfNull(rehydrationContext);
        if (ActorHandover.Read(rehydrationContext) is { } handover)
        {
            handover.Unpack(_mailbox, _runtime, JobEnded(handover.Spec));
            _runtime.Cluster.Occupancy?.WorkArrived();
        }
    }

    /// <summary>How long calls that reach an actor before its creation wait for it (a handle passed on faster than the
    /// creation travelled) before they fail as calls to an unknown actor.</summary>
    private static readonly TimeSpan CreationGrace = TimeSpan.FromSeconds(10);

    /// <summary>This activation never saw a creation: the actor lived on a node that died, or the cluster restarted.
    /// Rebuild it from its record if it may restart; otherwise every call fails saying why.</summary>
    private async Task RecoverAsync(bool forCalls = true)
    {
        var id = ActorId.FromGuid(this.GetPrimaryKey());
        if (_runtime.HostedActors.TakeReturned(id) is { } returned)
        {
            // Its move did not happen: it was this node's all along (no restart).
            returned.Unpack(_mailbox, _runtime, JobEnded(returned.Spec));
            _runtime.Cluster.Occupancy?.WorkArrived();
            return;
        }

        var restart = await _runtime.ActorTable.RestartAsync(id, _runtime.NodeId.Value ?? string.Empty);
        if (_mailbox.IsCreated)
        {
            return;
        }

        if (restart.Spec is null)
        {
            // No record yet: the creation may still be on its way. Calls wait in the mailbox for it, for a while.
            if (forCalls)
            {
                var mailbox = _mailbox;
                var why = restart.RefusedBecause ?? "no actor with this id was created in this cluster";
                _ = Task.Delay(CreationGrace).ContinueWith(
                    _ => mailbox.StartDead(new ActorCreationSpec { ActorId = id, ClassName = "(unknown actor)" }, why),
                    CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }

            return;
        }

        if (restart.RefusedBecause is not null)
        {
            _mailbox.StartDead(restart.Spec ?? new ActorCreationSpec { ActorId = id, ClassName = "(unknown actor)" }, restart.RefusedBecause ?? "unknown actor", restart.LastNode);
            return;
        }

        if (JobEnded(restart.Spec) is { } jobEnded)
        {
            _mailbox.StartDead(restart.Spec, jobEnded);
            return;
        }

        _mailbox.Start(restart.Spec, restart.Restarts);
        _runtime.Cluster.Occupancy?.WorkArrived();
    }

    /// <summary>Why a non-detached actor of a job this node knows ended must not start (its creation or restart arrived
    /// after the job's end, which killed the job's other actors: Ray's actors die with their job); null when it may.</summary>
    private string? JobEnded(ActorCreationSpec spec) =>
        !spec.Options.Detached && _runtime.Scheduler.FinishedJobs.Contains(spec.Owner)
            ? "its job ended before it was created (a non-detached actor dies with its job)"
            : null;

    /// <summary>Why an actor pinned to a node (hard node affinity) must not be created here: its creation was placed on
    /// that node and landed elsewhere, so the node is dead, unknown, or never became a placement target (Ray's
    /// <c>ActorUnschedulableError</c>); null when it may. Only creations: a restart after its node died goes elsewhere.</summary>
    private string? Unschedulable(ActorCreationSpec spec) =>
        spec.Options.Placement is { Kind: PlacementKind.NodeAffinity, Soft: false } pin && pin.Node != _runtime.NodeId
            ? $"it must be created on node {pin.Node} (NodeAffinity, soft: false), which is not alive; take a live node's id from ray.NodesAsync(), or pass soft: true to fall back to another node"
            : null;
}
