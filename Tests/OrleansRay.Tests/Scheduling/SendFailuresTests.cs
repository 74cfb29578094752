using OrleansRay.Placement;
using Xunit;

namespace OrleansRay.Tests.Scheduling;

/// <summary>A send that found no connection to a node is no attempt of the task (the node never saw it): Orleans
/// reports that as its connection exception or as a rejection that carries it only as text (a CI run failed a lineage
/// test on the second form: "ran 4 times" within 1 s of a node's kill).</summary>
public sealed class SendFailuresTests
{
    [Fact]
    public void A_rejection_made_of_a_connection_failure_never_reached_the_node()
    {
        var rejection = Rejection(
            "Exception while sending message: Orleans.Runtime.Messaging.ConnectionFailedException: Unable to connect to S127.0.0.1:20607:155070165, will retry after 22.0435ms");
        Assert.True(SendFailures.NeverReachedNode(rejection));
        Assert.True(SendFailures.NeverReachedNode(new AggregateException(rejection)));
        Assert.True(SendFailures.NeverReachedNode(new Orleans.Runtime.Messaging.ConnectionFailedException("Unable to connect")));
    }

    [Fact]
    public void Other_failures_may_have_reached_it()
    {
        Assert.False(SendFailures.NeverReachedNode(new SiloUnavailableException("The target silo became unavailable for message")));
        Assert.False(SendFailures.NeverReachedNode(new TimeoutException("Response did not arrive on time")));
        Assert.False(SendFailures.NeverReachedNode(Rejection("Silo S127.0.0.1:1 is shutting down")));
    }

    /// <summary>Orleans makes its rejections itself (the constructor is internal): as it does.</summary>
    private static OrleansMessageRejectionException Rejection(string message) =>
        (OrleansMessageRejectionException)Activator.CreateInstance(
            typeof(OrleansMessageRejectionException),
            System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance,
            binder: null,
            args: [message],
            culture: null)!;
}
