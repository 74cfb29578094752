namespace OrleansRay.ObjectStore.Storage;

/// <summary>The lifecycle of an object in the table.</summary>
internal enum ObjectState
{
    /// <summary>Created, its bytes being written by the creator; readers wait for the seal.</summary>
    Created,

    /// <summary>Immutable and readable; in memory unless spilled.</summary>
    Sealed,

    /// <summary>Sealed and written to the spill directory; its arena block has been freed.</summary>
    Spilled,
}
