using OrleansRay.ObjectStore.Protocol;

namespace OrleansRay.ObjectStore.Storage;

/// <summary>Read leases: a socket client reads a sealed object again straight from the arena (docs/adr/0020-store-fast-path.md).</summary>
internal sealed partial class StoreCore
{
    private const int IdleScan = 64;

    /// <summary>Gives the session a lease table: from now on its gets answer with read leases where a slot is free.</summary>
    public void AttachLeases(StoreSession session, LeaseTable table)
    {
        lock (_lock)
        {
            ThrowIfDisposing();
            ThrowIfClosed(session);
            if (session.Leases is not null)
            {
                throw new InvalidOperationException("This client already has a lease table.");
            }

            session.Leases = table;
        }
    }

    /// <summary>The client finalized a revoked lease (its last reader went): release the lease's pin.</summary>
    /// <exception cref="InvalidOperationException">No such lease, or the client has not finalized it.</exception>
    public void LeaseDone(StoreSession session, int slot, long generation)
    {
        lock (_lock)
        {
            var table = session.Leases ?? throw new InvalidOperationException("This client has no lease table.");
            var entry = table.ObjectAt(slot, generation)
                ?? throw new InvalidOperationException($"Lease {slot} (generation {generation}) is not held by this client.");
            var word = Volatile.Read(ref table.Word(slot));
            if (LeaseWord.Generation(word) != generation || (word & LeaseWord.Dead) == 0)
            {
                throw new InvalidOperationException($"Lease {slot} is still live; only a finished lease can be returned.");
            }

            EndLeaseLocked(table, slot, entry);
        }
    }

    /// <summary>Live leases (for tests).</summary>
    public int LeaseCount
    {
        get
        {
            lock (_lock)
            {
                var count = 0;
                foreach (var session in _sessions)
                {
                    count += session.Leases?.Count ?? 0;
                }

                return count;
            }
        }
    }

    private ObjectLocation PinForReadLocked(StoreSession session, StoredObject entry)
    {
        if (session.Leases is { } table && (table.TryGrant(entry, out var slot, out var generation) || (ReclaimIdleLocked(table) && table.TryGrant(entry, out slot, out generation))))
        {
            entry.Pins++;
            TouchLocked(entry);
            (entry.Leases ??= new List<(LeaseTable, int)>(1)).Add((table, slot));
            return new ObjectLocation(entry.Offset, entry.Size, slot, generation);
        }

        PinLocked(session, entry);
        return new ObjectLocation(entry.Offset, entry.Size);
    }

    /// <summary>Revokes every lease of <paramref name="entry"/>; idle ones end now. True when none is left.</summary>
    private bool RevokeLeasesLocked(StoredObject entry)
    {
        if (entry.Leases is not { Count: > 0 } leases)
        {
            return true;
        }

        foreach (var (table, slot) in leases.ToArray())
        {
            if (LeaseWord.Revoke(ref table.Word(slot), table.GenerationOf(slot)))
            {
                EndLeaseLocked(table, slot, entry);
            }
        }

        return leases.Count == 0;
    }

    private static bool HoldsOnlyLeases(StoredObject entry) =>
        entry.Leases is { Count: > 0 } leases && entry.Pins == leases.Count && entry.State == ObjectState.Sealed && !entry.Deleted
        && !entry.Spilling && entry.Restoring is null && entry.Block >= 0;

    private static int IdleLeaseCount(StoredObject entry)
    {
        var idle = 0;
        if (entry.Leases is { } leases)
        {
            foreach (var (table, slot) in leases)
            {
                var word = Volatile.Read(ref table.Word(slot));
                idle += LeaseWord.Readers(word) == 0 ? 1 : 0;
            }
        }

        return idle;
    }

    /// <summary>A full table: revoke some idle leases (round robin) so a new get can have one. True when a slot was freed.</summary>
    private bool ReclaimIdleLocked(LeaseTable table)
    {
        var freed = false;
        foreach (var slot in table.IdleSlots(IdleScan).ToList())
        {
            if (table.ObjectAt(slot, table.GenerationOf(slot)) is { } entry && LeaseWord.Revoke(ref table.Word(slot), table.GenerationOf(slot)))
            {
                EndLeaseLocked(table, slot, entry);
                freed = true;
            }
        }

        return freed;
    }

    private void EndLeaseLocked(LeaseTable table, int slot, StoredObject entry)
    {
        table.Free(slot);
        entry.Leases?.Remove((table, slot));
        entry.Pins--;
        if (entry.Pins == 0)
        {
            SignalMemoryLocked();
        }

        TryFinalizeLocked(entry);
    }

    /// <summary>The session is gone (its client may have died mid-read): every lease's pin goes, whatever its word says.</summary>
    private void CloseLeasesLocked(StoreSession session)
    {
        if (session.Leases is not { } table)
        {
            return;
        }

        foreach (var (slot, entry) in table.Active().ToList())
        {
            EndLeaseLocked(table, slot, entry);
        }

        session.Leases = null;
    }
}
