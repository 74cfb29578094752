using System.Collections.Concurrent;

namespace OrleansRay.Actors;

/// <summary>One submitter of actor calls (Ray's unit of call order): a driver, one run of a task, or one instance of an
/// actor. Each has its own id, its own sequence numbers and its own outbox per actor, so a call of one submitter waiting
/// for an argument never holds up another's.</summary>
internal sealed class ActorCaller
{
    public ActorCaller(WorkerId id)
    {
        Id = id;
    }

    /// <summary>The id the actor host orders this submitter's calls by.</summary>
    public WorkerId Id { get; }

    /// <summary>The class of the actor instance this submitter is (its short name, as Ray names an actor's printed
    /// lines); null for a driver's or a task's submitter. Set before the instance's constructor runs.</summary>
    public string? ActorClass { get; set; }

    /// <summary>The actor whose instance this submitter is; null for a driver's or a task's submitter. Set with
    /// <see cref="ActorClass"/>.</summary>
    public ActorId? Actor { get; set; }

    /// <summary>The name of the actor whose instance this submitter is, if it was given one (Ray's
    /// <c>get_actor_name</c>); null otherwise. Set with <see cref="ActorClass"/>.</summary>
    public string? ActorName { get; set; }

    /// <summary>True when the actor instance this submitter is came after a restart (Ray's
    /// <c>was_current_actor_reconstructed</c>): the actor's earlier instance died and this one was constructed again.
    /// Set before the instance's constructor runs.</summary>
    public bool WasRestarted { get; set; }

    /// <summary>The placement group the actor instance this submitter is lives in (its creation's
    /// <see cref="PlacementHint.Group"/>): its code's <c>RayContext.PlacementGroup</c>, and where the tasks and actors it
    /// submits go when it captures them. Null for a driver's or a task's submitter, and for an actor in no group. Set with
    /// <see cref="ActorClass"/>.</summary>
    public Grains.PlacementGroupMembership? Group { get; set; }

    /// <summary>The resources the actor instance this submitter is holds for life (its creation's shape; bundle
    /// resources under their group names); null for a driver's or a task's submitter. Set with <see cref="ActorClass"/>.</summary>
    public ResourceSet? Resources { get; set; }

    /// <summary>The GPU instances the actor instance this submitter is holds for life (<c>RayContext.GpuIds</c>); null
    /// when it holds none, and for a driver's or a task's submitter. Set before the instance's constructor runs.</summary>
    public IReadOnlyList<int>? GpuIds { get; set; }

    /// <summary>This submitter's outbox per actor it called.</summary>
    public ConcurrentDictionary<ActorId, ActorOutbox> Outboxes { get; } = new();

    /// <summary>A submitter with a fresh id (a task's run, an actor's instance).</summary>
    public static ActorCaller New() => new(WorkerId.NewId());
}
