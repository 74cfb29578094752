using Microsoft.Extensions.Logging;
using OrleansRay.Grains;
using OrleansRay.Scheduling;

namespace OrleansRay.Node;

/// <summary>Ray's <c>remove_placement_group</c> as it reaches one runtime: every task and actor of the group here ends
/// (queued tasks fail, running ones are cancelled by force, actors are killed for good), work of the group that arrives
/// later is refused, and the group's bundles here return their resources once their tenants are gone.</summary>
/// <remarks>
/// <para>The control store's group tells every live node when it is removed (<see cref="INodeEndpoint.RemovePlacementGroupAsync"/>),
/// and the runtime whose driver removed it applies it too (a connected driver is in no node table). Tasks end with a
/// <c>TaskCancelledException</c> and actors with an <c>ActorDiedException</c>, each naming the group
/// (<see cref="RemovedPlacementGroups.Why"/>); a cancelled task is never retried.</para>
/// <para>A runtime that missed the removal (another driver removed the group) finds out here too: after each refresh of
/// its cluster view, at most every <see cref="CheckPeriod"/>, it asks the control store about the groups its
/// infeasible work waits for (parked tasks, queued tasks and actors whose bundle no node holds), and applies the removal
/// of those that are gone. Work of a group that is merely pending keeps waiting.</para>
/// <para>Thread-safe; applying a removal twice finds nothing more to end.</para>
/// </remarks>
internal sealed partial class PlacementGroupRemoval
{
    /// <summary>How often waiting work's groups are checked at most: a second bounds how long work of a group removed
    /// by another process waits here, for one small control-store call per waited-for group.</summary>
    public static readonly TimeSpan CheckPeriod = TimeSpan.FromSeconds(1);

    private readonly NodeRuntime _runtime;
    private readonly ILogger _logger;
    private long _lastCheck;
    private int _checking;

    public PlacementGroupRemoval(NodeRuntime runtime, ILogger logger)
    {
        _runtime = runtime;
        _logger = logger;
    }

    /// <summary>Applies the removal of <paramref name="placementGroupId"/> here (see the class summary); completes once
    /// its actors here are dead.</summary>
    public async Task RemovedAsync(Guid placementGroupId)
    {
        _runtime.ActorServices.Infeasible?.ForgetPlacementGroup(placementGroupId); // a removed group waits for nothing
        var scheduler = _runtime.Scheduler;
        var (queued, running) = RemovedGroupWork.Take(scheduler, placementGroupId);
        foreach (var spec in queued)
        {
            _runtime.Attempts.Refuse(spec, RemovedPlacementGroups.TaskError(spec, placementGroupId));
        }

        foreach (var spec in running)
        {
            var error = RemovedPlacementGroups.TaskError(spec, placementGroupId);
            if (spec.IsForeign)
            {
                _runtime.Foreign.Fail(spec, error);
            }
            else
            {
                spec.Cancel(force: true, error);
            }
        }

        // Owned tasks on other nodes: those nodes end the ones holding the group's bundles themselves; one that asks for
        // no resources names no bundle there, so its owner cancels it. (Parked ones are refused at their next retry.)
        var remote = 0;
        foreach (var spec in _runtime.Cluster.InFlight)
        {
            if (!spec.Cancelled && spec.Placement is { Kind: PlacementKind.PlacementGroup } placement && placement.PlacementGroupId == placementGroupId)
            {
                remote++;
                spec.Cancel(force: true, RemovedPlacementGroups.TaskError(spec, placementGroupId));
            }
        }

        var actors = _runtime.ActorServices.HostedActors.InPlacementGroup(placementGroupId);
        if (queued.Count + running.Count + remote + actors.Count > 0)
        {
            LogEnded(_logger, placementGroupId, queued.Count + running.Count + remote, actors.Count);
        }

        await Task.WhenAll(actors.Select(actor => KillAsync(actor, placementGroupId))).ConfigureAwait(false);
    }

    /// <summary>After a refresh of the cluster view: starts a check of the groups this runtime's infeasible work waits
    /// for, unless one ran within <see cref="CheckPeriod"/> or still runs. Never throws.</summary>
    public void CheckWaiting()
    {
        var now = Environment.TickCount64;
        if (now - Interlocked.Read(ref _lastCheck) < (long)CheckPeriod.TotalMilliseconds || Volatile.Read(ref _checking) != 0)
        {
            return;
        }

        Interlocked.Exchange(ref _lastCheck, now);
        var groups = WaitedFor();
        if (groups.Count > 0 && Interlocked.CompareExchange(ref _checking, 1, 0) == 0)
        {
            _ = CheckAsync(groups);
        }
    }

    /// <summary>The groups named by this runtime's infeasible demands (parked tasks, and queued tasks and actors no node
    /// here can hold) that are not known to be removed.</summary>
    private HashSet<Guid> WaitedFor()
    {
        var groups = new HashSet<Guid>();
        var removed = _runtime.Scheduler.RemovedGroups;
        foreach (var demand in _runtime.Cluster.ParkedDemands().Concat(_runtime.Scheduler.Queued.Demands()))
        {
            if (!demand.IsInfeasible)
            {
                continue;
            }

            foreach (var (name, _) in demand.Shape.Items)
            {
                if (BundleKey.TryParse(name, out _, out var key) && !removed.Contains(key.PlacementGroupId))
                {
                    groups.Add(key.PlacementGroupId);
                }
            }
        }

        return groups;
    }

    private async Task CheckAsync(HashSet<Guid> groups)
    {
        try
        {
            foreach (var group in groups)
            {
                var info = await _runtime.GrainFactory.GetGrain<IPlacementGroupGrain>(group).GetAsync().ConfigureAwait(false);
                if (info is null or { State: PlacementGroupState.Removed })
                {
                    LogFoundRemoved(_logger, group);
                    await RemovedAsync(group).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The control store could not be reached (the head restarts, this runtime stops): the next refresh asks again.
            LogCheckFailed(_logger, ex.GetType().Name, ex.Message);
        }
        finally
        {
            Volatile.Write(ref _checking, 0);
        }
    }

    private async Task KillAsync(ActorId actor, Guid placementGroupId)
    {
        try
        {
            await _runtime.Actors.KillAsync(actor, noRestart: true, RemovedPlacementGroups.Why(placementGroupId)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Its host grain could not be reached (the node stops): the actor goes with its node.
            LogKillFailed(_logger, actor, placementGroupId, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Placement group {Id:N} was removed: ended {Tasks} of its tasks and {Actors} of its actors here")]
    private static partial void LogEnded(ILogger logger, Guid id, int tasks, int actors);

    [LoggerMessage(Level = LogLevel.Information, Message = "Placement group {Id:N}, which work here waits for, was removed; ending that work")]
    private static partial void LogFoundRemoved(ILogger logger, Guid id);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Checking the placement groups waited for failed ({ErrorType}: {Reason}); retrying at the next refresh")]
    private static partial void LogCheckFailed(ILogger logger, string errorType, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Killing actor {ActorId} of removed placement group {Id:N} failed: {Reason}")]
    private static partial void LogKillFailed(ILogger logger, ActorId actorId, Guid id, string reason);
}
