using Microsoft.Extensions.Logging;

namespace OrleansRay.Placement;

/// <summary>What a failed send to a node says about whether the message ever reached it, and how it is logged.</summary>
internal static partial class SendFailures
{
    /// <summary>Failures that say the node is unreachable (going away, or gone) rather than that the message is bad. A
    /// cancelled send is one: the channel to a stopping node cancels what it had not sent (a reviewer saw a task fail as
    /// if its function threw OperationCanceledException while `orleansray stop` ran; it never ran).</summary>
    public static bool IsTransient(Exception ex)
    {
        var e = ex is AggregateException { InnerException: { } inner } ? inner : ex;
        return e is SiloUnavailableException or OrleansMessageRejectionException or TimeoutException or ClientNotAvailableException
            or System.Net.Sockets.SocketException or ObjectDisposedException or Transport.TaskChannelClosedException or OperationCanceledException
            || e.GetType().Name is "ConnectionFailedException" or "ConnectionAbortedException" or "GatewayTooBusyException";
    }

    /// <summary>True when the send found no connection to the node, so the node never got the message: Orleans'
    /// <c>ConnectionFailedException</c> itself, or the transient rejection Orleans makes of it ("Exception while sending
    /// message: ...ConnectionFailedException: Unable to connect ..."), which carries it only as text.</summary>
    public static bool NeverReachedNode(Exception ex) => Transport.CallFailures.NeverConnected(ex);

    /// <summary>Logs a failed send of <paramref name="count"/> tasks to <paramref name="node"/>: one line at Warning, in the
    /// user's terms (a node that died or cannot be reached is expected in a cluster, and its tasks run elsewhere), and
    /// the exception itself, with Orleans' stack, at Debug. Sends to an unreachable node are warned about at most once
    /// per <see cref="WarningWindow.Interval"/> per node (<paramref name="window"/>; tasks placed again are often sent
    /// there again until the node is declared dead), the next line counting the tasks left out.</summary>
    public static void LogSendFailed(ILogger logger, int count, NodeId node, Exception ex, bool transient, WarningWindow window)
    {
        LogSendFailedDetail(logger, count, node, ex);
        if (!transient)
        {
            LogTasksUnsendable(logger, count, node, Transport.CallFailures.Describe(ex));
        }
        else if (window.TryWarn(count, out var unwarned))
        {
            if (unwarned == 0)
            {
                LogNodeUnreachable(logger, count, node, Transport.CallFailures.Describe(ex));
            }
            else
            {
                LogNodeStillUnreachable(logger, count, node, Transport.CallFailures.Describe(ex), unwarned);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not send {Count} task(s) to node {Node}: {Reason}; they are placed again")]
    private static partial void LogNodeUnreachable(ILogger logger, int count, NodeId node, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not send {Count} task(s) to node {Node}: {Reason}; they are placed again (as were {Unwarned} more since the last such line)")]
    private static partial void LogNodeStillUnreachable(ILogger logger, int count, NodeId node, string reason, int unwarned);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not send {Count} task(s) to node {Node}: {Reason}; they fail")]
    private static partial void LogTasksUnsendable(ILogger logger, int count, NodeId node, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Sending {Count} task(s) to node {Node} failed")]
    private static partial void LogSendFailedDetail(ILogger logger, int count, NodeId node, Exception exception);
}
