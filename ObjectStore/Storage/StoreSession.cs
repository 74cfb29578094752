namespace OrleansRay.ObjectStore.Storage;

/// <summary>What one client holds in the store: its pins and the objects it is still writing.</summary>
/// <remarks>Guarded by the store's table lock. Closing a session releases everything it holds.</remarks>
internal sealed class StoreSession
{
    public StoreSession(string name)
    {
        Name = name;
    }

    public string Name { get; }

    public Dictionary<StoreObjectId, int> Pins { get; } = new();

    public HashSet<StoreObjectId> Creating { get; } = new();

    public bool Closed { get; set; }

    /// <summary>Blocks reserved for write-behind puts, not yet sealed: offset → aligned size.</summary>
    public Dictionary<long, long> Reserved { get; } = new();

    /// <summary>The client's read leases (socket clients); null for clients that read through the store each time.</summary>
    public LeaseTable? Leases { get; set; }

    public override string ToString() => Name;
}
