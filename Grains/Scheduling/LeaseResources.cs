namespace OrleansRay.Scheduling;

/// <summary>What a granted lease holds of the node's resources as its task runs, waits in a Get, is cancelled by force
/// or ends, and how it counts against its shape's lease cap. Called under the scheduler engine's lock.</summary>
/// <remarks>A task waiting in a Get gives back its CPUs only (<see cref="ResourceClaim.WhileBlocked"/>), as Ray's raylet
/// releases a blocked worker's CPUs: nested tasks cannot deadlock a node whose CPUs are full, and no other task starts on
/// a GPU (or custom resource) that a waiting task holds.</remarks>
internal static class LeaseResources
{
    /// <summary>A wait of the lease's task <paramref name="work"/> starts. Its first open wait gives the CPUs back and
    /// stops the lease counting against its shape's lease cap (for zero-resource tasks the cap is the only bound, and
    /// waiting ones must not keep the tasks they wait for from starting); later ones are counted. False, and nothing
    /// counted, when the lease runs another task now (<paramref name="work"/> returned without waiting for this wait),
    /// was cancelled by force, or ended.</summary>
    /// <param name="released">True when the CPUs went back now (the caller grants what now fits).</param>
    public static bool Block(ResourceLedger ledger, Lease lease, Execution.ICancellableWork? work, out bool released)
    {
        released = false;
        if (lease.Abandoned || lease.Ended || !ReferenceEquals(lease.Current, work))
        {
            return false;
        }

        if (lease.Waits++ == 0)
        {
            ledger.Return(lease.Class.Claim.WhileBlocked);
            lease.Class.ActiveLeases--;
            released = true;
        }

        return true;
    }

    /// <summary>A counted wait of <paramref name="work"/> ends; the last open one takes the CPUs again (the node may be
    /// briefly over-subscribed, as in Ray). Nothing moves when the lease runs another task now, was cancelled by force
    /// or ended (a lease whose task returned with waits open ends, <see cref="End"/>).</summary>
    public static void Resume(ResourceLedger ledger, Lease lease, Execution.ICancellableWork? work)
    {
        if (lease.Abandoned || lease.Ended || lease.Waits == 0 || !ReferenceEquals(lease.Current, work))
        {
            return;
        }

        if (--lease.Waits == 0)
        {
            ledger.Take(lease.Class.Claim.WhileBlocked);
            lease.Class.ActiveLeases++;
        }
    }

    /// <summary>A forced cancel: everything the lease still holds goes back now (its thread finishes the function and
    /// stops; <see cref="End"/> is not called for it).</summary>
    public static void Abandon(ResourceLedger ledger, Lease lease)
    {
        lease.Abandoned = true;
        GiveBack(ledger, lease);
    }

    /// <summary>The lease ends: everything it still holds goes back, and a Get its code still starts or ends afterwards
    /// moves nothing.</summary>
    public static void End(ResourceLedger ledger, Lease lease)
    {
        lease.Ended = true;
        GiveBack(ledger, lease);
    }

    /// <summary>The GPU instances <paramref name="lease"/> holds now (a running task's <c>RayContext.GpuIds</c>), read
    /// from any thread; empty for none, or no lease.</summary>
    public static IReadOnlyList<int> GpuIds(Lease? lease)
    {
        if (lease is not { Class.Claim.HasGpus: true })
        {
            return [];
        }

        lock (lease.Class.Engine.Gate)
        {
            return lease.Gpus?.Ids ?? [];
        }
    }

    private static void GiveBack(ResourceLedger ledger, Lease lease)
    {
        var gpus = lease.ReleaseGpus();
        if (lease.Blocked)
        {
            ledger.Return(lease.Class.Claim.HeldWhileBlocked, gpus); // its CPUs went back when it began to wait
            return;
        }

        ledger.Return(lease.Class.Claim, gpus);
        lease.Class.ActiveLeases--;
    }
}
