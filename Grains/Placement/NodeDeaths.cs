using Microsoft.Extensions.Logging;

namespace OrleansRay.Placement;

/// <summary>Tells this runtime's services that cluster membership declared a node dead (actor outboxes re-send or fail
/// the calls they had sent there; object recovery rebuilds what was stored there). Raised on the refresh loop, before
/// the dead node's tasks are placed again.</summary>
internal sealed partial class NodeDeaths
{
    private readonly ILogger _logger;

    public NodeDeaths(ILogger logger)
    {
        _logger = logger;
    }

    /// <summary>Raised once per dead node.</summary>
    public event Action<NodeId>? Died;

    /// <summary>Runs every handler; one that throws is logged and does not keep the others, or the node's tasks, from
    /// being handled.</summary>
    public void Raise(NodeId node)
    {
        if (Died is not { } handlers)
        {
            return;
        }

        foreach (var handler in handlers.GetInvocationList().Cast<Action<NodeId>>())
        {
            try
            {
                handler(node);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogHandlerFailed(_logger, node, ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Handling the death of node {Node} failed in one of its handlers; the others ran")]
    private static partial void LogHandlerFailed(ILogger logger, NodeId node, Exception exception);
}
