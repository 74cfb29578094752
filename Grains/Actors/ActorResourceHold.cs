using OrleansRay.Grains;
using OrleansRay.Scheduling;

namespace OrleansRay.Actors;

/// <summary>The node resources one actor holds while it lives (NumCpus, custom resources, a placement-group bundle):
/// requested when it is created, withdrawn if it dies while waiting, released once when it dies.</summary>
/// <remarks>Its mailbox's lock guards <see cref="Held"/> and <see cref="Release"/>; <see cref="Holds"/> may be read
/// without it.</remarks>
internal sealed class ActorResourceHold
{
    private readonly CancellationTokenSource _lifetime = new();
    private volatile bool _holds;

    /// <summary>True while the actor holds its resources.</summary>
    public bool Holds => _holds;

    /// <summary>The GPU instances the actor was given (<c>RayContext.GpuIds</c>); null when it asks for no GPU.</summary>
    public GpuGrant? Gpus { get; private set; }

    /// <summary>True once the actor died, or was handed to another node: a request still waiting was withdrawn.</summary>
    public bool Withdrawn => _lifetime.IsCancellationRequested;

    /// <summary>True once the actor, never started here, was handed to another node (<see cref="TryHandOver"/>).</summary>
    public bool HandedOver { get; private set; }

    /// <summary>When the actor began to wait for its resources on this node (<see cref="Environment.TickCount64"/>, ms);
    /// 0 before it asked.</summary>
    public long WaitingSince { get; private set; }

    /// <summary>Under the lock: marks the actor handed to another node, unless it holds its resources (it then starts
    /// here) or was handed over already; its waiting request is withdrawn soon after (off the lock).</summary>
    public bool TryHandOver()
    {
        if (_holds || HandedOver)
        {
            return false;
        }

        HandedOver = true;
        _ = Task.Run(Withdraw);
        return true;
    }

    /// <summary>Waits until the node grants the actor's resources (then call <see cref="Held"/>). An actor of a placement
    /// group that was removed is refused first, whatever it asks for (one asking for nothing holds no bundle to miss):
    /// as this runtime knows, or as the control store answers.</summary>
    /// <exception cref="OperationCanceledException">The actor died while waiting (<see cref="Withdraw"/>).</exception>
    /// <exception cref="InvalidOperationException">The actor's placement group was removed; the message says so.</exception>
    public async Task AcquireAsync(ActorServices runtime, ActorCreationSpec spec)
    {
        if (spec.Options.Placement is { Kind: PlacementKind.PlacementGroup } placement && await IsRemovedAsync(runtime, placement.PlacementGroupId).ConfigureAwait(false))
        {
            throw new InvalidOperationException(RemovedPlacementGroups.Why(placement.PlacementGroupId));
        }

        WaitingSince = Environment.TickCount64;
        Gpus = await runtime.Scheduler.Resources.AcquireForActorAsync(spec.Options.Resources, spec.ActorId, _lifetime.Token).ConfigureAwait(false);
    }

    /// <summary>True when the group is known here to be removed, or the control store has no such group (a removed
    /// group's row is dropped) or says it was removed. A control store that cannot be reached answers false: the actor
    /// waits as for a pending group, and the removal, when it comes, reaches this node and kills it.</summary>
    private static async Task<bool> IsRemovedAsync(ActorServices runtime, Guid placementGroupId)
    {
        if (runtime.Scheduler.RemovedGroups.Contains(placementGroupId))
        {
            return true;
        }

        try
        {
            var info = await runtime.GrainFactory.GetGrain<IPlacementGroupGrain>(placementGroupId).GetAsync().ConfigureAwait(false);
            return info is null or { State: PlacementGroupState.Removed } || runtime.Scheduler.RemovedGroups.Contains(placementGroupId);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return false;
        }
    }

    /// <summary>Under the lock: the resources were granted.</summary>
    public void Held() => _holds = true;

    /// <summary>Under the lock: gives the resources back, once.</summary>
    public void Release(ActorServices runtime, ActorCreationSpec? spec)
    {
        if (_holds && spec is not null)
        {
            _holds = false;
            runtime.Scheduler.Resources.ReleaseForActor(spec.Options.Resources, Gpus);
            Gpus = null;
        }
    }

    /// <summary>The actor died: a request still waiting is withdrawn.</summary>
    public void Withdraw() => _lifetime.Cancel();

    /// <summary>Why an actor waiting for its resources can never start on its node: it asks for more of some resource
    /// than the node has in all (its pending demand is infeasible, <see cref="NodeResources.CanNeverHold"/>). Null when
    /// it could start once resources free up.</summary>
    public static string? WhyItCannotStart(ActorCreationSpec spec, ActorServices runtime) =>
        !runtime.Scheduler.Resources.CanNeverHold(spec.Options.Resources)
            ? null
            : $"Actor {spec.ClassName} ({spec.ActorId}) cannot start: it asks for {spec.Options.Resources}, more than its node {runtime.NodeId} has " +
              $"({runtime.Scheduler.Resources.Total}), so it waits as an infeasible actor (ray.PendingDemandsAsync) that no call can reach. " +
              "Kill it (ray.KillAsync) and create it with resources a node has.";
}
