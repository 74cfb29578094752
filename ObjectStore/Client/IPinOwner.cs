namespace OrleansRay.ObjectStore.Client;

/// <summary>Receives the release of a pin when an <see cref="ObjectBuffer{T}"/> is disposed.</summary>
internal interface IPinOwner
{
    void ReleasePin(StoreObjectId id);
}
