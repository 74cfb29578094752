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

    private static readonly WorkerId Driver = WorkerId.NewId();

    /// <summary>A view that gives <paramref name="fate"/> for every owner and, for drivers, <paramref name="ended"/>
    /// (default: never ended), counting the job table's asks.</summary>
    private sealed class FixedWatch(Func<OwnerFate> fate, Func<WorkerId, bool>? ended = null) : IOwnerWatch
    {
        private int _tableAsks;

        public int TableAsks => Volatile.Read(ref _tableAsks);

        public OwnerFate Check(INodeEndpoint owner, out string where)
        {
            where = Where;
            return fate();
        }

        public ValueTask<bool> HasDriverEndedAsync(WorkerId driver)
        {
            Interlocked.Increment(ref _tableAsks);
            return new(ended?.Invoke(driver) ?? false);
        }

        public bool IsDriverKnownEnded(WorkerId driver) => false;
    }

    private static BorrowedOwner Owned(INodeEndpoint endpoint) => new(endpoint, Driver);

    [Fact]
    public async Task An_owner_alive_but_too_busy_to_answer_in_time_is_asked_again_and_the_object_is_read()
    {
        var (owner, stub) = OwnerStub.Create(ask => ask < 2
            ? throw new TimeoutException("Response did not arrive on time in 00:00:30 for message: Request ...")
            : new RemoteResult { Value = 42 });
        var entry = new ObjectEntry(ObjectId.NewId());

        await BorrowedFetch.RunAsync(entry, Owned(owner), lostStore: null, new FixedWatch(() => OwnerFate.Alive), NullLogger.Instance).WaitAsync(Deadline);

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

        var fetch = BorrowedFetch.RunAsync(entry, Owned(owner), lostStore: null, watch, NullLogger.Instance);
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

        await BorrowedFetch.RunAsync(entry, Owned(owner), lostStore: null, new FixedWatch(() => OwnerFate.Unknown), NullLogger.Instance).WaitAsync(Deadline);

        var message = entry.Read().Error!.Message;
        Assert.Contains("has died", message, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_driver_owner_that_never_answers_loses_the_object_once_the_job_table_lists_its_job_ended()
    {
        // A killed driver: calls to it wait for Orleans' 30 s response timeout, again and again until the gateway drops it.
        var (owner, stub) = OwnerStub.Create(_ => throw new InvalidOperationException("not used"));
        stub.AnswerTask = _ => new TaskCompletionSource<RemoteResult>().Task;
        var ended = 0;
        var watch = new FixedWatch(() => OwnerFate.Unknown, driver => driver == Driver && Volatile.Read(ref ended) == 1);
        var entry = new ObjectEntry(ObjectId.NewId());

        var fetch = BorrowedFetch.RunAsync(entry, Owned(owner), lostStore: null, watch, NullLogger.Instance);
        await Eventually.TrueAsync(() => watch.TableAsks >= 2 || entry.IsComplete, Deadline, "the job table is asked while the call waits");
        Assert.False(entry.IsComplete, "the object is not lost while the driver's job runs");

        Volatile.Write(ref ended, 1);
        await fetch.WaitAsync(Deadline);
        var message = entry.Read().Error!.Message;
        Assert.Contains("has died", message, StringComparison.Ordinal);
        Assert.Equal(1, stub.Asks);
    }

    [Fact]
    public async Task A_read_of_an_object_whose_driver_is_known_dead_fails_without_asking_it()
    {
        var (owner, stub) = OwnerStub.Create(_ => new RemoteResult { Value = 1 });
        var entry = new ObjectEntry(ObjectId.NewId());
        var watch = new KnownDeadWatch();

        await BorrowedFetch.RunAsync(entry, Owned(owner), lostStore: null, watch, NullLogger.Instance).WaitAsync(Deadline);

        Assert.Contains("has died", entry.Read().Error!.Message, StringComparison.Ordinal);
        Assert.Equal(0, stub.Asks);
    }

    private sealed class KnownDeadWatch : IOwnerWatch
    {
        public OwnerFate Check(INodeEndpoint owner, out string where)
        {
            where = string.Empty;
            return OwnerFate.Unknown;
        }

        public ValueTask<bool> HasDriverEndedAsync(WorkerId driver) => new(true);

        public bool IsDriverKnownEnded(WorkerId driver) => true;
    }
}
