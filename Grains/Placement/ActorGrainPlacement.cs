using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;
using OrleansRay.Grains;

namespace OrleansRay.Placement;

/// <summary>Places the grain activation of an actor behind a grain interface on the node that holds the actor's
/// resources: where its host grain lives (the scheduler chose that node at creation, or at a restart after its node
/// died).</summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking, Alias("orleansray.actorgrainplacement")]
internal sealed class ActorGrainPlacement : PlacementStrategy
{
    public static readonly ActorGrainPlacement Instance = new();
}

/// <summary>Marks the actor grain base class: its activations go to their actor's node.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
internal sealed class ActorGrainPlacementAttribute : PlacementAttribute
{
    public ActorGrainPlacementAttribute() : base(ActorGrainPlacement.Instance)
    {
    }
}

/// <summary>Asks the actor's host grain where it lives (the host rebuilds the actor from its record first when its node
/// died) and places the grain there, waiting for that node while it is still joining (<see cref="JoiningSilo"/>); a node
/// that is leaving, dead, or never became a compatible silo falls back to this silo, where the activation finds no actor
/// and fails every call saying why.</summary>
internal sealed class ActorGrainPlacementDirector : IPlacementDirector
{
    private readonly IGrainFactory _grains;
    private readonly IClusterMembershipService _membership;

    public ActorGrainPlacementDirector(IGrainFactory grains, IClusterMembershipService membership)
    {
        _grains = grains;
        _membership = membership;
    }

    public async Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        if (target.GrainIdentity.TryGetGuidKey(out var key, out _))
        {
            var node = (await _grains.GetGrain<IActorHostGrain>(key).LocateAsync().ConfigureAwait(false)).Node;
            if (!string.IsNullOrEmpty(node))
            {
                var silo = SiloAddress.FromParsableString(node);
                if (await JoiningSilo.WaitUntilCompatibleAsync(silo, () => context.GetCompatibleSilos(target), s => _membership.CurrentSnapshot.GetSiloStatus(s), JoiningSilo.DefaultWait).ConfigureAwait(false))
                {
                    return silo;
                }
            }
        }

        var silos = context.GetCompatibleSilos(target);
        return silos.Contains(context.LocalSilo) ? context.LocalSilo : silos[0];
    }
}
