namespace OrleansRay.Ownership;

/// <summary>What this runtime's view of the cluster says of the process that owns a borrowed object.</summary>
internal enum OwnerFate
{
    /// <summary>The view does not know the owner as a node (a driver, or a node not seen yet): only the owner's own
    /// answer, or Orleans saying it has disconnected, tells.</summary>
    Unknown = 0,

    /// <summary>The owner's node is alive by cluster membership: a call that failed is retried.</summary>
    Alive = 1,

    /// <summary>Cluster membership declared the owner's node dead.</summary>
    Dead = 2,
}
