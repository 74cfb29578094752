using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace OrleansRay.Placement;

/// <summary>Places an actor's host grain on the node the scheduler chose for it (Orleans' placement hint), waiting for
/// that node while it is still joining; without a hint, on the placing silo (as Orleans' PreferLocalPlacement).</summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking, Alias("orleansray.actorhostplacement")]
internal sealed class ActorHostPlacement : PlacementStrategy
{
    public static readonly ActorHostPlacement Instance = new();
}

/// <summary>Marks the actor host grain: see <see cref="ActorHostPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
internal sealed class ActorHostPlacementAttribute : PlacementAttribute
{
    public ActorHostPlacementAttribute() : base(ActorHostPlacement.Instance)
    {
    }
}

/// <summary>Orleans' PreferLocalPlacement honours a hint only when the hinted silo is compatible at that moment, and
/// otherwise places locally: an actor created on a node that had just joined (an autoscaled node, a node started for
/// the actor's custom resource) then started on the creator's gateway silo, which could not hold it. This director
/// waits for the hinted silo (<see cref="JoiningSilo"/>) and only falls back when it is leaving, dead, or never became
/// a target within <see cref="JoiningSilo.DefaultWait"/>; the actor host then finds the actor cannot start there and
/// its calls say why.</summary>
internal sealed class ActorHostPlacementDirector : IPlacementDirector
{
    private readonly Func<SiloAddress, SiloStatus> _status;
    private readonly TimeSpan _wait;

    public ActorHostPlacementDirector(IClusterMembershipService membership)
        : this(silo => membership.CurrentSnapshot.GetSiloStatus(silo), JoiningSilo.DefaultWait)
    {
    }

    /// <param name="status">This silo's view of a silo's membership status.</param>
    /// <param name="wait">The most to wait for a hinted silo to become a target.</param>
    internal ActorHostPlacementDirector(Func<SiloAddress, SiloStatus> status, TimeSpan wait)
    {
        _status = status;
        _wait = wait;
    }

    public async Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        if (target.RequestContextData is { Count: > 0 } data
            && data.TryGetValue(IPlacementDirector.PlacementHintKey, out var value)
            && value is SiloAddress hint
            && await JoiningSilo.WaitUntilCompatibleAsync(hint, () => context.GetCompatibleSilos(target), _status, _wait).ConfigureAwait(false))
        {
            return hint;
        }

        var silos = context.GetCompatibleSilos(target);
        return context.LocalSiloStatus == SiloStatus.Active && silos.Contains(context.LocalSilo)
            ? context.LocalSilo
            : silos[Random.Shared.Next(silos.Length)];
    }
}
