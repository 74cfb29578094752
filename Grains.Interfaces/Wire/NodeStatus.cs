namespace OrleansRay;

/// <summary>A node's entry in the node table: its resources now, and its pending demands.</summary>
[GenerateSerializer, Immutable, Alias("orleansray.nodestatus")]
public sealed record NodeStatus(
    [property: Id(0)] NodeId NodeId,
    [property: Id(1)] string Address,
    [property: Id(2)] bool IsAlive,
    [property: Id(3)] ResourceSet Total,
    [property: Id(4)] ResourceSet Available,
    [property: Id(5)] IReadOnlyList<ResourceDemandInfo> Demands,
    [property: Id(6)] DateTimeOffset ReportedAt)
{
    /// <summary>The node's endpoint: where other nodes and drivers send it work (null in rows of older reports).</summary>
    [Id(7)] public Grains.INodeEndpoint? Endpoint { get; init; }
}
