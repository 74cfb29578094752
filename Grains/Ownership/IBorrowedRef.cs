namespace OrleansRay.Ownership;

/// <summary>A ref whose owner is another process (implemented by ObjectRef): the local entry that reads it through
/// its owner (Ray's borrower).</summary>
internal interface IBorrowedRef
{
    /// <summary>The local entry for the borrowed object, or false when the ref is not a borrowed one.</summary>
    bool TryBorrow(ObjectReader reader, out ObjectEntry entry);
}
