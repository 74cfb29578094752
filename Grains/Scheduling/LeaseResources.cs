namespace OrleansRay.Scheduling;

/// <summary>What a granted lease holds of the node's resources as its task runs, waits in a Get, is cancelled by force
/// or ends, and how it counts against its shape's lease cap. Called under the scheduler engine's lock.</summary>
/// <remarks>A task waiting in a Get gives back its CPUs only (<see cref="ResourceClaim.WhileBlocked"/>), as Ray's raylet
/// releases a blocked worker's CPUs: nested tasks cannot deadlock a node whose CPUs are full, and no other task starts on
/// a GPU (or custom resource) that a waiting task holds.</remarks>
internal static class LeaseResources
{
    /// <summary>The lease's task waits in a Get: its CPUs go back, and it stops counting against its shape's lease cap
    /// (for zero-resource tasks the cap is the only bound, and waiting ones must not keep the tasks they wait for from
    /// starting). False when nothing changed (already waiting, cancelled by force, or ended).</summary>
    public static bool Block(ResourceLedger ledger, Lease lease)
    {
        if (lease.Blocked || lease.Abandoned || lease.Ended)
        {
            return false;
        }

        lease.Blocked = true;
        ledger.Return(lease.Class.Claim.WhileBlocked);
        lease.Class.ActiveLeases--;
        return true;
    }

    /// <summary>The waiting task resumes: its CPUs are taken again (the node may be briefly over-subscribed, as in Ray).</summary>
    public static void Resume(ResourceLedger ledger, Lease lease)
    {
        if (!lease.Blocked || lease.Abandoned || lease.Ended)
        {
            return;
        }

        lease.Blocked = false;
        ledger.Take(lease.Class.Claim.WhileBlocked);
        lease.Class.ActiveLeases++;
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

    private static void GiveBack(ResourceLedger ledger, Lease lease)
    {
        if (lease.Blocked)
        {
            ledger.Return(lease.Class.Claim.HeldWhileBlocked); // its CPUs went back when it began to wait
            return;
        }

        ledger.Return(lease.Class.Claim);
        lease.Class.ActiveLeases--;
    }
}
