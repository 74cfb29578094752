using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace OrleansRay.Cluster;

/// <summary>Places the control store's grains on the head: the longest-running silo (the smallest generation), which is
/// the node a cluster starts with. Ray keeps its GCS on the head for the same reason: worker nodes come and go, and
/// a table whose in-memory state died with a worker would forget the cluster.</summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking, Alias("orleansray.headplacement")]
internal sealed class HeadPlacement : PlacementStrategy
{
    public static readonly HeadPlacement Instance = new();

    /// <summary>Not registered in Orleans' grain directory: every silo computes the same head from membership, so the
    /// director finds the activation without it — and a directory partition lost with a worker node cannot deactivate
    /// the control store (seen: the head's grains deactivated with reason DirectoryFailure when a worker left).</summary>
    public override bool IsUsingGrainDirectory => false;
}

/// <summary>Marks a grain class as part of the control store: it lives on the head.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
internal sealed class HeadPlacementAttribute : PlacementAttribute
{
    public HeadPlacementAttribute() : base(HeadPlacement.Instance)
    {
    }
}

/// <summary>Picks the oldest compatible silo for <see cref="HeadPlacement"/>.</summary>
internal sealed class HeadPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var silos = context.GetCompatibleSilos(target);
        var head = silos[0];
        foreach (var silo in silos)
        {
            if (silo.Generation < head.Generation)
            {
                head = silo;
            }
        }

        return Task.FromResult(head);
    }
}
