using OrleansRay.Grains;

namespace OrleansRay.ControlStore;

/// <summary>The node table: the last report of every node, alive or dead.</summary>
internal sealed class NodeTableGrain : Grain, INodeTableGrain
{
    private readonly Dictionary<NodeId, NodeStatus> _nodes = new();

    public Task ReportAsync(NodeStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        _nodes[status.NodeId] = status;
        return Task.CompletedTask;
    }

    public Task MarkDeadAsync(NodeId nodeId)
    {
        if (_nodes.TryGetValue(nodeId, out var status))
        {
            _nodes[nodeId] = status with { IsAlive = false };
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<NodeStatus>> ListAsync() => Task.FromResult<IReadOnlyList<NodeStatus>>(_nodes.Values.ToList());
}
