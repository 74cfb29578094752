using Microsoft.Extensions.Logging;

namespace OrleansRay.Placement;

/// <summary>What <see cref="ClusterScheduler"/> logs when a node leaves: one line per node, a warning only when this
/// runtime's tasks were running there.</summary>
internal static partial class ClusterLog
{
    /// <summary>Logs that <paramref name="node"/> left the cluster with <paramref name="lost"/> of this runtime's tasks
    /// running there: a warning when it took some (they retry or fail), else one line at Information (a node stopped
    /// or died with nothing of ours is not a problem of this runtime).</summary>
    internal static void Left(ILogger logger, NodeId node, int lost)
    {
        if (lost == 0)
        {
            NodeLeft(logger, node);
        }
        else
        {
            NodeDied(logger, node, lost);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {Node} left the cluster (stopped or died) with {Count} of this runtime's tasks; each runs again elsewhere if its MaxRetries allows, else fails with NodeDiedException")]
    internal static partial void NodeDied(ILogger logger, NodeId node, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {Node} left the cluster (stopped or died); none of this runtime's tasks ran there")]
    internal static partial void NodeLeft(ILogger logger, NodeId node);

    [LoggerMessage(Level = LogLevel.Information, Message = "Task {FunctionName} runs again after node {Node} died (attempt {Attempt} done)")]
    internal static partial void RetryElsewhere(ILogger logger, string functionName, NodeId node, int attempt);
}
