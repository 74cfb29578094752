using OrleansRay.ObjectStore.Storage;

namespace OrleansRay.ObjectStore.Client;

/// <summary>Receives the release of a pin (or of a read lease's reader) when an <see cref="ObjectBuffer{T}"/> is disposed.</summary>
internal interface IPinOwner
{
    void ReleasePin(StoreObjectId id, ObjectLocation location);
}
