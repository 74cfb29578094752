namespace OrleansRay.Transport;

/// <summary>Says in a user's words, on one line, why a call to another node or process failed: what warnings and error
/// messages show. Orleans' own text names its internal types and, for a rejected message, carries the inner exception's
/// whole stack; that belongs in the debug log, with the exception.</summary>
internal static class CallFailures
{
    /// <summary>Longest reason taken from an exception's own message (its first line), for failures not recognised here.</summary>
    private const int MaxReasonLength = 200;

    /// <summary>Why the call failed, as the end of a sentence about the other side ("... failed: it cannot be reached").</summary>
    public static string Describe(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var e = exception is AggregateException { InnerException: { } inner } ? inner : exception;
        if (NeverConnected(e))
        {
            return "it cannot be reached (no connection could be made to it)";
        }

        return e switch
        {
            SiloUnavailableException => "its node is no longer reachable",
            ClientNotAvailableException => "it has disconnected from the cluster",
            TimeoutException => "it did not answer in time",
            OrleansMessageRejectionException => "the message could not be delivered to it",
            System.Net.Sockets.SocketException socket => $"the connection to it failed ({socket.SocketErrorCode})",
            ObjectDisposedException => "this process is shutting down",
            TaskChannelClosedException => "the connection to it closed",
            _ when e.GetType().Name == "ConnectionAbortedException" => "the connection to it was lost",
            _ when e.GetType().Name == "GatewayTooBusyException" => "it is too busy to take more messages",
            _ => FirstLine(e.Message),
        };
    }

    /// <summary>True when the call found no connection to the other side: Orleans' <c>ConnectionFailedException</c>, or
    /// the rejection Orleans makes of it, which carries it only as text.</summary>
    public static bool NeverConnected(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e.GetType().Name == "ConnectionFailedException"
                || (e is OrleansMessageRejectionException && e.Message.Contains("ConnectionFailedException", StringComparison.Ordinal)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The first line of <paramref name="message"/>, cut to <see cref="MaxReasonLength"/> characters.</summary>
    private static string FirstLine(string message)
    {
        var line = message.AsSpan();
        var end = line.IndexOfAny('\r', '\n');
        if (end >= 0)
        {
            line = line[..end];
        }

        line = line.Trim();
        return line.Length <= MaxReasonLength ? line.ToString() : string.Concat(line[..(MaxReasonLength - 3)], "...");
    }
}
