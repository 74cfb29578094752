namespace OrleansRay;

/// <summary>How a placement group's bundles are laid over the nodes (Ray's placement strategies).</summary>
public enum PlacementStrategy
{
    /// <summary>As few nodes as possible: all on one node when one can hold them, else packed onto few. The default.</summary>
    Pack = 0,

    /// <summary>Over different nodes where possible; bundles share a node only when there are not enough nodes with room.</summary>
    Spread = 1,

    /// <summary>All bundles on one node; the group stays pending until one node can hold them all.</summary>
    StrictPack = 2,

    /// <summary>Every bundle on a different node; the group stays pending until that many nodes have room.</summary>
    StrictSpread = 3,
}
