namespace OrleansRay.Scheduling;

/// <summary>Ready tasks of one resource shape, and the leases running them.</summary>
internal sealed class SchedulingClass
{
    public SchedulingClass(ResourceSet shape, SchedulerEngine engine)
    {
        Shape = shape;
        Claim = ResourceClaim.Of(shape);
        Engine = engine;
    }

    public ResourceSet Shape { get; }

    /// <summary>What each lease of the shape takes: from the node's free pool, and from its bundles.</summary>
    public ResourceClaim Claim { get; }

    public SchedulerEngine Engine { get; }

    public Queue<TaskSpec> Ready { get; } = new();

    /// <summary>Leases of this shape running and not blocked in a Get (blocked ones have handed their share back).</summary>
    public int ActiveLeases;

    /// <summary>Leases allowed beyond the zero-resource cap because the shape's leases all stalled (see
    /// StarvationGuard).</summary>
    public int ExtraLeases;

    /// <summary>The GPU instances each running lease of the shape holds (<see cref="Lease.Gpus"/>); made for the first
    /// lease of a shape that takes GPUs, so a lease itself carries no field for them. Under the engine's lock.</summary>
    public Dictionary<Lease, GpuGrant>? LeaseGpus;

    /// <summary>Tasks of this shape its leases have finished, and the count at the last starvation check.</summary>
    public long Finished, FinishedAtLastCheck;
}
