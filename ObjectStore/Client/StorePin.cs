namespace OrleansRay.ObjectStore.Client;

/// <summary>One pin on a store object, released once when disposed.</summary>
internal sealed class StorePin : IDisposable
{
    private readonly StoreObjectId _id;
    private IPinOwner? _owner;

    public StorePin(StoreObjectId id, IPinOwner owner)
    {
        _id = id;
        _owner = owner;
    }

    public void Dispose() => Interlocked.Exchange(ref _owner, null)?.ReleasePin(_id);
}
