using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace OrleansRay.ControlStore;

/// <summary>Places the control store's grains on the head: the longest-running silo (the smallest generation), which is
/// the node a cluster starts with. Ray keeps its GCS on the head for the same reason: worker nodes come and go, and
/// a table whose in-memory state died with a worker would forget the cluster.</summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking, Alias("orleansray.headplacement")]
internal sealed class HeadPlacement : PlacementStrategy
{
    public static readonly HeadPlacement Instance = new();
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
            if (IsOlder(silo, head))
            {
                head = silo;
            }
        }

        return Task.FromResult(head);
    }

    /// <summary>Older = smaller generation; silos started in the same second are ordered by address, so every silo
    /// picks the same head (the choice must not depend on the order a silo happens to list them in).</summary>
    private static bool IsOlder(SiloAddress a, SiloAddress b)
    {
        if (a.Generation != b.Generation)
        {
            return a.Generation < b.Generation;
        }

        return string.CompareOrdinal(a.ToParsableString(), b.ToParsableString()) < 0;
    }
}
