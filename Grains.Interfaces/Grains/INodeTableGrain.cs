namespace OrleansRay.Grains;

/// <summary>The control store's node table (key 0): every node reports its resources and demands here.</summary>
[Alias("orleansray.INodeTableGrain")]
public interface INodeTableGrain : IGrainWithIntegerKey
{
    /// <summary>Adds or refreshes a node's row.</summary>
    [Alias("Report")]
    Task ReportAsync(NodeStatus status);

    /// <summary>Marks a node dead (it left or was declared dead by membership).</summary>
    [Alias("MarkDead")]
    Task MarkDeadAsync(NodeId nodeId);

    /// <summary>Every known node, alive and dead.</summary>
    [Alias("List")]
    Task<IReadOnlyList<NodeStatus>> ListAsync();
}
