using OrleansRay.Silo.Cli;
using Xunit;

namespace OrleansRay.Dashboard.Tests.Cli;

/// <summary>A failure the CLI did not foresee is still one line on stderr: a reviewer's `status` against a silo whose
/// membership primary was killed printed Orleans' exception with eight lines of the inner exception's stack.</summary>
public sealed class UnexpectedFailureLineTests
{
    [Fact]
    public void A_multi_line_orleans_message_becomes_its_first_line_with_what_to_do()
    {
        var ex = new Orleans.Runtime.SiloUnavailableException(
            "Exception while sending message: Orleans.Runtime.Messaging.ConnectionFailedException: Unable to connect to endpoint S127.0.0.1:43100:0\n" +
            "   at Orleans.Runtime.Messaging.ConnectionManager.ConnectAsync(SiloAddress address)\n   at Orleans.Runtime.Messaging.MessageCenter.SendMessage(Message msg)");

        var line = OrleansRayCli.UnexpectedLine(ex);

        Assert.DoesNotContain('\n', line);
        Assert.StartsWith("error: the node whose node port is 127.0.0.1:43100 does not answer (it may have died). If it was the head, ", line, StringComparison.Ordinal);
        Assert.Contains("start the head again", line, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", line, StringComparison.Ordinal);
        Assert.EndsWith($"(set {OrleansRayCli.DebugVariable}=1 for details)", line, StringComparison.Ordinal);
    }

    /// <summary>A new user's `status` through a worker after the head was killed printed Orleans' rejection (with
    /// "will retry after 334.8497ms") before the hint; it names the node that does not answer now.</summary>
    [Fact]
    public void A_rejected_message_to_a_node_that_is_gone_names_that_node_in_words()
    {
        var ex = new Orleans.Runtime.SiloUnavailableException(
            "Exception while sending message: Orleans.Runtime.Messaging.ConnectionFailedException: Unable to connect to S127.0.0.1:46001:155691954, will retry after 334.8497ms");

        Assert.Equal(
            "error: the node whose node port is 127.0.0.1:46001 does not answer (it may have died). If it was the head, its control store went with it: start the head again (`orleansray start --head`); workers without --storage exit within 60 s of losing it. Otherwise check `orleansray status` against another node, and the nodes' logs (`orleansray logs`). " +
            $"(set {OrleansRayCli.DebugVariable}=1 for details)",
            OrleansRayCli.UnexpectedLine(ex));
    }

    [Fact]
    public void A_rejection_that_names_no_node_keeps_its_first_line_with_what_to_do()
    {
        var line = OrleansRayCli.UnexpectedLine(new Orleans.Runtime.SiloUnavailableException("Gateway is shutting down\n   at somewhere"));
        Assert.Equal($"error: SiloUnavailableException: Gateway is shutting down A node the command needed does not answer: check `orleansray status` against another node, and the nodes' logs (`orleansray logs`). (set {OrleansRayCli.DebugVariable}=1 for details)", line);
    }

    [Fact]
    public void Any_other_failure_keeps_its_type_and_message()
    {
        Assert.Equal($"error: InvalidOperationException: broken (set {OrleansRayCli.DebugVariable}=1 for details)",
            OrleansRayCli.UnexpectedLine(new InvalidOperationException("broken")));
    }
}
