using Microsoft.Extensions.Logging;
using OrleansRay.Placement;
using OrleansRay.Tests.Ownership;
using OrleansRay.Tests.Semantics;
using OrleansRay.Transport;
using Xunit;

namespace OrleansRay.Tests.Placement;

/// <summary>A send to a node that died or cannot be reached is expected in a cluster: the warning the driver's console
/// shows is one line in the user's terms (Ray prints one short line), and the exception, with Orleans' stack, goes to
/// the debug log only.</summary>
public sealed class SendFailureLogTests
{
    /// <summary>What Orleans throws when a node's silo is gone: its text carries the inner exception and its stack.</summary>
    private const string RejectionText =
        "Exception while sending message: Orleans.Runtime.Messaging.ConnectionFailedException: Unable to connect to S127.0.0.1:27122:155518282, will retry after 575.78ms\n" +
        "   at Orleans.Runtime.Messaging.ConnectionManager.GetConnectionAsync(SiloAddress endpoint) in /_/src/Orleans.Core/Networking/ConnectionManager.cs:line 142\n" +
        "   at Orleans.Runtime.Messaging.MessageCenter.<SendMessage>g__SendAsync|30_0(MessageCenter messageCenter, ValueTask`1 connectionTask, Message msg)";

    private static readonly NodeId Node = new("S127.0.0.1:27122:155518282");

    private sealed record Entry(LogLevel Level, string Message, Exception? Exception);

    private sealed class RecordingLogger : ILogger
    {
        public List<Entry> Entries { get; } = new();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add(new Entry(logLevel, formatter(state, exception), exception));
    }

    [Fact]
    public void A_send_to_a_node_that_cannot_be_reached_warns_on_one_line_and_logs_the_exception_at_debug()
    {
        var logger = new RecordingLogger();
        var failure = OwnerStub.OrleansException<OrleansMessageRejectionException>(RejectionText);

        SendFailures.LogSendFailed(logger, 1, Node, failure, transient: true, new WarningWindow());

        var warning = Assert.Single(logger.Entries, e => e.Level >= LogLevel.Warning);
        Assert.Null(warning.Exception);
        Assert.DoesNotContain('\n', warning.Message);
        Assert.DoesNotContain("Exception", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Orleans", warning.Message, StringComparison.Ordinal);
        Assert.Contains(Node.Value, warning.Message, StringComparison.Ordinal);
        Assert.Contains("cannot be reached", warning.Message, StringComparison.Ordinal);
        Assert.Contains("placed again", warning.Message, StringComparison.Ordinal);
        var debug = Assert.Single(logger.Entries, e => e.Level == LogLevel.Debug);
        Assert.Same(failure, debug.Exception);
    }

    [Fact]
    public void Repeated_sends_to_an_unreachable_node_warn_once_per_window_and_the_next_warning_counts_the_rest()
    {
        var logger = new RecordingLogger();
        var clock = new ManualTimers();
        var window = new WarningWindow(clock);
        var failure = OwnerStub.OrleansException<OrleansMessageRejectionException>(RejectionText);

        // A node killed: the tasks placed again go to it again until it is declared dead, each send failing.
        SendFailures.LogSendFailed(logger, 2, Node, failure, transient: true, window);
        for (var i = 0; i < 10; i++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(300));
            SendFailures.LogSendFailed(logger, 3, Node, failure, transient: true, window);
        }

        var first = Assert.Single(logger.Entries, e => e.Level >= LogLevel.Warning);
        Assert.StartsWith("Could not send 2 task(s)", first.Message, StringComparison.Ordinal);
        Assert.Equal(11, logger.Entries.Count(e => e.Level == LogLevel.Debug)); // every failure still logged in full there

        // Past the window: the next failure warns again, counting the 30 tasks it did not warn about.
        clock.Advance(WarningWindow.Interval);
        SendFailures.LogSendFailed(logger, 1, Node, failure, transient: true, window);
        var warnings = logger.Entries.Where(e => e.Level >= LogLevel.Warning).ToArray();
        Assert.Equal(2, warnings.Length);
        Assert.Contains("Could not send 1 task(s)", warnings[1].Message, StringComparison.Ordinal);
        Assert.Contains("as were 30 more since the last such line", warnings[1].Message, StringComparison.Ordinal);

        // A failure that is the tasks' own (they fail, not placed again) is always warned about.
        SendFailures.LogSendFailed(logger, 1, Node, new ArgumentException("bad argument"), transient: false, window);
        Assert.Equal(3, logger.Entries.Count(e => e.Level >= LogLevel.Warning));
    }

    [Fact]
    public void Failures_of_a_node_that_left_or_did_not_answer_are_told_in_the_users_terms()
    {
        Assert.Equal("its node is no longer reachable",
            CallFailures.Describe(OwnerStub.OrleansException<SiloUnavailableException>("The target silo became unavailable for message: Request ... See https://aka.ms/orleans-troubleshooting")));
        Assert.Equal("it did not answer in time", CallFailures.Describe(new TimeoutException("Response did not arrive on time in 00:00:30 for message: ...")));
        Assert.Equal("it cannot be reached (no connection could be made to it)",
            CallFailures.Describe(new AggregateException(OwnerStub.OrleansException<OrleansMessageRejectionException>(RejectionText))));
        Assert.Equal("bad argument", CallFailures.Describe(new ArgumentException("bad argument\n   at Somewhere()")));
    }
}
