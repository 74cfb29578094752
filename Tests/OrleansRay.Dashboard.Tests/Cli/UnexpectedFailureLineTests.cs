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
        Assert.StartsWith("error: SiloUnavailableException: Exception while sending message: Orleans.Runtime.Messaging.ConnectionFailedException: Unable to connect to endpoint S127.0.0.1:43100:0 ", line, StringComparison.Ordinal);
        Assert.Contains("does not answer", line, StringComparison.Ordinal);
        Assert.EndsWith($"(set {OrleansRayCli.DebugVariable}=1 for details)", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Any_other_failure_keeps_its_type_and_message()
    {
        Assert.Equal($"error: InvalidOperationException: broken (set {OrleansRayCli.DebugVariable}=1 for details)",
            OrleansRayCli.UnexpectedLine(new InvalidOperationException("broken")));
    }
}
