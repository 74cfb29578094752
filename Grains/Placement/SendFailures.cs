namespace OrleansRay.Placement;

/// <summary>What a failed send to a node says about whether the message ever reached it.</summary>
internal static class SendFailures
{
    /// <summary>Failures that say the node is unreachable (going away, or gone) rather than that the message is bad.</summary>
    public static bool IsTransient(Exception ex)
    {
        var e = ex is AggregateException { InnerException: { } inner } ? inner : ex;
        return e is SiloUnavailableException or OrleansMessageRejectionException or TimeoutException or ClientNotAvailableException
            or System.Net.Sockets.SocketException or ObjectDisposedException or Transport.TaskChannelClosedException
            || e.GetType().Name is "ConnectionFailedException" or "ConnectionAbortedException" or "GatewayTooBusyException";
    }

    /// <summary>True when the send found no connection to the node, so the node never got the message: Orleans'
    /// <c>ConnectionFailedException</c> itself, or the transient rejection Orleans makes of it ("Exception while sending
    /// message: ...ConnectionFailedException: Unable to connect ..."), which carries it only as text.</summary>
    public static bool NeverReachedNode(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e.GetType().Name == "ConnectionFailedException"
                || (e is OrleansMessageRejectionException && e.Message.Contains("ConnectionFailedException", StringComparison.Ordinal)))
            {
                return true;
            }
        }

        return false;
    }
}
