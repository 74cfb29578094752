using Microsoft.Extensions.Logging.Abstractions;
using OrleansRay.Grains;
using OrleansRay.Ownership;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.Ownership;

/// <summary>A borrower reading an object through its owner: a busy or briefly unreachable owner that the cluster still
/// shows alive does not lose the object (the read asks again); an owner known dead does, with a one-line message that
/// names the owner's node and says what to do (Ray's OwnerDiedError), without Orleans' types or stacks.</summary>
public sealed class BorrowedFetchTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    /// <summary>What Orleans throws when the owner's silo is gone: its text carries the inner exception and its stack.</summary>
    private const string RejectionText =
        "Exception while sending message: Orleans.Runtime.Messaging.ConnectionFailedException: Unable to connect to S127.0.0.1:27122:155518282, will retry after 575.78ms\n" +
        "   at Orleans.Runtime.Messaging.ConnectionManager.GetConnectionAsync(SiloAddress endpoint) in /_/src/Orleans.Core/Networking/ConnectionManager.cs:line 142\n" +
        "   at Orleans.Runtime.Messaging.MessageCenter.<SendMessage>g__SendAsync|30_0(MessageCenter messageCenter, ValueTask`1 connectionTask, Message msg)";

    private const string Where = "node S127.0.0.1:27122:155518282 at 127.0.0.1:27122";

    private sealed class FixedWatch(Func<OwnerFate> fate) : IOwnerWatch
    {
        public OwnerFate Check(INodeEndpoint owner, out string where)
        {
            where = Where;
            return fate();
        }
    }

    [Fact]
    public async Task An_owner_alive_but_too_busy_to_answer_in_time_is_asked_again_and_the_object_is_read()
    {
        var (owner, stub) = OwnerStub.Create(ask => ask < 2
            ? throw new TimeoutException("Response did not arrive on time in 00:00:30 for message: Request ...")
            : new RemoteResult { Value = 42 });
        var entry = new ObjectEntry(ObjectId.NewId());

        await BorrowedFetch.RunAsync(entry, owner, lostStore: null, new FixedWatch(() => OwnerFate.Alive), NullLogger.Instance).WaitAsync(Deadline);

        var outcome = entry.Read();
        Assert.True(outcome.IsComplete);
        Assert.Null(outcome.Error);
        Assert.Equal(42, outcome.Value);
        Assert.Equal(3, stub.Asks);
    }

    [Fact]
    public async Task An_owner_out_of_reach_is_asked_again_until_membership_declares_it_dead_then_the_object_is_lost_saying_why_on_one_line()
    {
        var dead = 0;
        var (owner, stub) = OwnerStub.Create(_ => throw OwnerStub.OrleansException<OrleansMessageRejectionException>(RejectionText));
        var watch = new FixedWatch(() => Volatile.Read(ref dead) == 1 ? OwnerFate.Dead : OwnerFate.Alive);
        var entry = new ObjectEntry(ObjectId.NewId());

        var fetch = BorrowedFetch.RunAsync(entry, owner, lostStore: null, watch, NullLogger.Instance);
        await Eventually.TrueAsync(() => stub.Asks >= 3 || entry.IsComplete, Deadline, "the owner is asked three times");

        Assert.False(entry.IsComplete, "the object is not lost while its owner is alive");
        Volatile.Write(ref dead, 1);
        await fetch.WaitAsync(Deadline);

        var error = entry.Read().Error;
        Assert.NotNull(error);
        Assert.Equal(RayErrorKind.ObjectLost, error.Kind);
        var message = error.Message;
        Assert.DoesNotContain('\n', message);
        Assert.DoesNotContain("Exception", message, StringComparison.Ordinal);
        Assert.DoesNotContain("Orleans", message, StringComparison.Ordinal);
        Assert.Contains(Where, message, StringComparison.Ordinal);
        Assert.Contains("has died", message, StringComparison.Ordinal);
        Assert.Contains("cannot be rebuilt", message, StringComparison.Ordinal);
        Assert.Contains("keep the process that creates an object alive", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_driver_owner_that_Orleans_says_has_disconnected_loses_the_object_without_waiting()
    {
        var (owner, _) = OwnerStub.Create(_ => throw OwnerStub.OrleansException<ClientNotAvailableException>("No activation for client *cli/abc"));
        var entry = new ObjectEntry(ObjectId.NewId());

        await BorrowedFetch.RunAsync(entry, owner, lostStore: null, new FixedWatch(() => OwnerFate.Unknown), NullLogger.Instance).WaitAsync(Deadline);

        var message = entry.Read().Error!.Message;
        Assert.Contains("has died", message, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", message, StringComparison.Ordinal);
    }
}
