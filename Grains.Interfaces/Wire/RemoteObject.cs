namespace OrleansRay;

/// <summary>A value above the inline threshold held by the node that produced it, in place of the value itself: the
/// owner records it, and whoever reads the object fetches it from <see cref="Holder"/> in chunks (never one grain
/// message of the whole value: Orleans' message limit is 100 MB and large messages jam a connection).</summary>
[GenerateSerializer, Immutable, Alias("orleansray.remoteobject")]
public sealed record RemoteObject
{
    [Id(0)] public ObjectId Id { get; init; }
    [Id(1)] public Grains.INodeEndpoint Holder { get; init; } = null!;
    /// <summary>The holder's node id (for messages).</summary>
    [Id(2)] public string Node { get; init; } = string.Empty;
    /// <summary>Serialized size in bytes.</summary>
    [Id(3)] public long Size { get; init; }
}
