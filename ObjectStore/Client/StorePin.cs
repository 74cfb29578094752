using OrleansRay.ObjectStore.Storage;

namespace OrleansRay.ObjectStore.Client;

/// <summary>One pin (or one reader of a read lease) on a store object, released once when disposed.</summary>
internal sealed class StorePin : IDisposable
{
    private readonly StoreObjectId _id;
    private readonly ObjectLocation _location;
    private IPinOwner? _owner;

    public StorePin(StoreObjectId id, ObjectLocation location, IPinOwner owner)
    {
        _id = id;
        _location = location;
        _owner = owner;
    }

    public void Dispose() => Interlocked.Exchange(ref _owner, null)?.ReleasePin(_id, _location);
}
