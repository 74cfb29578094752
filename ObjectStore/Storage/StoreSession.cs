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

    public override string ToString() => Name;
}
