namespace OrleansRay.ObjectStore;

/// <summary>Where a store holds an object now (<see cref="ObjectStoreClient.GetResidencyAsync"/>): Ray's
/// <c>ray memory</c> shows whether each object is in the plasma store or spilled to external storage.</summary>
public enum ObjectResidency : byte
{
    /// <summary>Not in this store: never put here, deleted, or created but not sealed yet.</summary>
    Absent = 0,

    /// <summary>Sealed and in the store's shared memory.</summary>
    InMemory = 1,

    /// <summary>Sealed and spilled to the store's spill directory (its memory freed); the next read restores it.</summary>
    Spilled = 2,
}
