namespace OrleansRay.ObjectStore.Storage;

/// <summary>The ids this store deleted lately: a get of one (a peer pulling a copy its owner freed, a local reader of
/// it) answers "not here" at once instead of waiting out its timeout for a seal that will not come. A peer's pull asks
/// with half its transfer time, so a borrower's read of an object its owner freed waited 15 s before it learned the
/// object was lost.</summary>
/// <remarks>Creating the id again (a retry's or a lineage rebuild's result) forgets it: a get then waits for that seal
/// as for any object being made. While a deleted copy is still in the table (a reader pins it, and a new copy of the id
/// waits for it to go) a get waits as before. The most recent <see cref="DeletedRemembered"/> ids are kept (about 1 MiB); an older
/// one is waited for as an unknown id is.</remarks>
internal sealed partial class StoreCore
{
    /// <summary>How many deleted ids the store remembers.</summary>
    internal const int DeletedRemembered = 16_384;

    private readonly HashSet<StoreObjectId> _deleted = new();
    private readonly Queue<StoreObjectId> _deletedOrder = new();

    /// <summary>Under the lock: <paramref name="id"/> was deleted.</summary>
    private void RememberDeletedLocked(StoreObjectId id)
    {
        if (_deleted.Add(id))
        {
            _deletedOrder.Enqueue(id);
            while (_deletedOrder.Count > DeletedRemembered)
            {
                _deleted.Remove(_deletedOrder.Dequeue());
            }
        }
    }

    /// <summary>Under the lock: <paramref name="id"/> is being created again.</summary>
    private void ForgetDeletedLocked(StoreObjectId id) => _deleted.Remove(id);

    /// <summary>Under the lock: true when <paramref name="id"/> was deleted lately and not created since.</summary>
    private bool WasDeletedLocked(StoreObjectId id) => _deleted.Contains(id);
}
