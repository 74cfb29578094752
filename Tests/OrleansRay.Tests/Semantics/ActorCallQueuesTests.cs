using OrleansRay.Actors;
using OrleansRay.Internal;
using OrleansRay.Tests.Fixtures;
using Xunit;
using OrleansRay.Node;

namespace OrleansRay.Tests.Semantics;

/// <summary>The host's per-submitter queues with many submitters (each run of a task is one): a submitter with nothing
/// queued leaves the rotation, yet keeps its order and its replay protection when it calls again; a batch's floor
/// starts or moves a submitter's order (calls re-sent after a node died).</summary>
[Collection(RayCollection.Name)]
public sealed class ActorCallQueuesTests
{
    private readonly NodeRuntime _runtime;

    public ActorCallQueuesTests(RayFixture fixture) => _runtime = ((IRayRuntimeAccess)fixture.Ray).Runtime;

    [Fact]
    public void An_idle_submitter_leaves_the_rotation_and_its_replays_and_order_still_hold()
    {
        var queues = new ActorCallQueues(_runtime.ActorServices, new object(), static () => { });
        var submitters = Enumerable.Range(0, 1000).Select(_ => WorkerId.NewId()).ToList();
        foreach (var submitter in submitters)
        {
            queues.Add(Call(submitter, 0), floor: 0);
        }

        for (var i = 0; i < submitters.Count; i++)
        {
            Assert.True(queues.TryTake(out var taken));
            Assert.Equal(0, taken!.Sequence);
        }

        Assert.Equal(0, queues.Count);
        Assert.False(queues.TryTake(out _));

        // The first submitter calls again: a replay of its call 0 is ignored, and 2 waits for 1 though it came first.
        var first = submitters[0];
        queues.Add(Call(first, 0), floor: 0);
        queues.Add(Call(first, 2), floor: 0);
        Assert.False(queues.TryTake(out _));
        queues.Add(Call(first, 1), floor: 0);
        Assert.True(queues.TryTake(out var one));
        Assert.True(queues.TryTake(out var two));
        Assert.Equal((1L, 2L), (one!.Sequence, two!.Sequence));
        Assert.False(queues.TryTake(out _));
    }

    [Fact]
    public void A_cancel_that_overtakes_its_call_skips_it_and_the_next_call_runs()
    {
        var queues = new ActorCallQueues(_runtime.ActorServices, new object(), static () => { });
        var submitter = WorkerId.NewId();
        queues.Cancel(submitter, 0);
        queues.Add(Call(submitter, 1), floor: 0);
        queues.Add(Call(submitter, 0), floor: 0);
        Assert.True(queues.TryTake(out var taken));
        Assert.Equal(1, taken!.Sequence);
        Assert.False(queues.TryTake(out _));
    }

    [Fact]
    public void A_submitter_unknown_here_starts_at_its_floor_so_calls_re_sent_after_later_ones_run_first()
    {
        // An actor rebuilt after its node died: the caller's calls 5 to 9 were lost there and are re-sent, while call 10
        // (on its way when the node died) arrives first. Every call below 5 was answered.
        var queues = new ActorCallQueues(_runtime.ActorServices, new object(), static () => { });
        var submitter = WorkerId.NewId();
        queues.Add(Call(submitter, 10), floor: 5);
        Assert.False(queues.TryTake(out _));
        for (var sequence = 5; sequence < 10; sequence++)
        {
            queues.Add(Call(submitter, sequence), floor: 5);
        }

        for (var sequence = 5; sequence <= 10; sequence++)
        {
            Assert.True(queues.TryTake(out var taken));
            Assert.Equal(sequence, taken!.Sequence);
        }

        Assert.False(queues.TryTake(out _));
    }

    [Fact]
    public void A_floor_above_the_next_call_drops_the_calls_below_it_and_the_order_goes_on_from_there()
    {
        // Calls 2 and 3 came with an older floor; then the caller gave up call 1 (lost with a node, no retries left)
        // and cancelled call 2. The next batch's floor, 3, says so: nothing waits for 1, and 2 does not run.
        var queues = new ActorCallQueues(_runtime.ActorServices, new object(), static () => { });
        var submitter = WorkerId.NewId();
        queues.Add(Call(submitter, 0), floor: 0);
        Assert.True(queues.TryTake(out _));
        queues.Add(Call(submitter, 2), floor: 1);
        queues.Add(Call(submitter, 3), floor: 1);
        Assert.False(queues.TryTake(out _));
        queues.Add(Call(submitter, 4), floor: 3);
        Assert.True(queues.TryTake(out var three));
        Assert.True(queues.TryTake(out var four));
        Assert.Equal((3L, 4L), (three!.Sequence, four!.Sequence));
        Assert.Equal(0, queues.Count);
    }

    private static ActorCall Call(WorkerId caller, long sequence) => new()
    {
        Caller = caller,
        Sequence = sequence,
        ReturnId = ObjectId.NewId(),
        Method = new FunctionDescriptor("a", "T", "M", 0),
        Owner = caller,
    };
}
