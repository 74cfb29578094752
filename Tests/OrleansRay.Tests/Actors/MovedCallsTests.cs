using Microsoft.Extensions.DependencyInjection;
using OrleansRay.Actors;
using OrleansRay.Internal;
using OrleansRay.Ownership;
using OrleansRay.Tests.Fixtures;
using OrleansRay.Tests.Functions;
using Xunit;

namespace OrleansRay.Tests.Actors;

/// <summary>A caller's record of where its actor calls wait, as word of a move (<see cref="ActorCallsMoved"/>) changes
/// it: the calls that counted as on the node they left count as on the new one, a call sent elsewhere since keeps its
/// node, and a call whose acceptance is still on its way takes the word when that acceptance comes.</summary>
public sealed class MovedCallsTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public void A_move_takes_the_calls_of_the_node_they_left_and_keeps_the_word_for_calls_not_accepted_yet()
    {
        var calls = new UnansweredCalls();
        var handles = new[] { "A", "D", null, "A", "A" }.Select((node, i) =>
            new ActorCallHandle(null!, new ObjectEntry(ObjectId.NewId()), null!) { Sequence = i, Node = node }).ToArray();
        foreach (var handle in handles)
        {
            calls.Add(handle);
        }

        Assert.True(calls.Move("A", "C", [0, 1, 2, 3]));

        Assert.Equal(["C", "D", null, "C", "A"], handles.Select(h => h.Node));
        Assert.Equal(("A", "C"), handles[2].Move); // applied when its acceptance names A
        Assert.Null(handles[0].Move);
        Assert.False(calls.Move("A", "E", [1])); // call 1 was sent to D since: old word changes nothing
        Assert.Equal("D", handles[1].Node);
    }

    /// <summary>Word that a call moved from the node it was sent to, to a node that dies, comes before that node's
    /// acceptance of the call (messages from two nodes arrive in any order): once accepted, the call counts as on the
    /// node it moved to, and when that node's death is seen (before or after) it is re-sent, not failed (it has
    /// MaxTaskRetries left). The word is sent here by hand; the actor in fact stays on its node, so the re-sent copy is a
    /// duplicate its host ignores, and the call runs once.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_call_whose_move_word_came_before_its_acceptance_is_re_sent_when_the_node_it_moved_to_dies(bool deathSeenFirst)
    {
        var (argument, running) = (Guid.NewGuid().ToString(), Guid.NewGuid().ToString());
        try
        {
            await using var cluster = await InProcessCluster.StartAsync((1, null), (1, null), (0, null));
            var (head, host, gone) = (cluster.Nodes[0], cluster.Nodes[1], cluster.Nodes[2]);
            var goneId = gone.NodeId.Value!;
            var ray = head.Host.Services.GetRequiredService<IRay>();
            var journal = ray.Actor(() => new RetryJournal())
                .Options(new ActorOptions { MaxRestarts = 1, MaxTaskRetries = 1, SchedulingStrategy = SchedulingStrategy.NodeAffinity(host.NodeId) })
                .Remote();
            Assert.Equal(0, (await ray.GetAsync(journal.Task((j, k) => j.Append(k), 0).Remote(), Deadline)).Index); // call 0
            if (deathSeenFirst)
            {
                await StopAndSeeDeadAsync(cluster, gone, head);
            }

            // Call 1 waits here for its argument, so its acceptance comes after the word below; then it runs on its
            // node until the test lets it end (its result does not come with the acceptance).
            var index = ray.Task(TestFunctions.WaitForGate, argument).Remote();
            var call = journal.Task((j, i, on, g) => j.HoldOnThenAppend(i, on, g), index, host.NodeId.Value, running).Remote();
            Assert.True(IRayRuntimeAccess.Of(ray).Objects.TryGet(call.Id, out var entry), "the call's result is in the driver's object table");
            var handle = Assert.IsType<ActorCallHandle>(entry.Producer);
            head.Runtime.Actors.CallsMoved(new ActorCallsMoved(journal.ActorId, goneId, head.Runtime.ActorServices.WorkerId, [1L], host.NodeId.Value!));
            Gates.Get(argument).Set();
            Assert.True(Gates.Get(running + ".entered").Wait(Deadline), "call 1 runs on its node");
            if (!deathSeenFirst)
            {
                await StopAndSeeDeadAsync(cluster, gone, head);
            }

            await Eventually.TrueAsync(() => Task.FromResult(handle.Retries == 1), Deadline, "call 1 to be counted lost with the node it moved to, and re-sent");
            Gates.Get(running).Set();
            var entryRun = await ray.GetAsync(call, Deadline);
            Assert.Equal((1, 2, 0), (entryRun.Index, entryRun.Position, entryRun.Attempt)); // ran once: the re-sent copy was a duplicate
        }
        finally
        {
            Gates.Get(argument).Set();
            Gates.Get(running).Set();
        }
    }

    private static async Task StopAndSeeDeadAsync(InProcessCluster cluster, InProcessCluster.Node node, InProcessCluster.Node watcher)
    {
        var id = node.NodeId.Value!;
        // A death is seen only of a node the watcher's cluster view has listed alive.
        await Eventually.TrueAsync(() => Task.FromResult(watcher.Runtime.Cluster.Nodes.Any(n => n.Id == node.NodeId)), Deadline, $"node {id} in the head's cluster view");
        await cluster.StopNodeAsync(node);
        await Eventually.TrueAsync(() => Task.FromResult(watcher.Runtime.Actors.HasSeenDead(id)), Deadline, $"node {id}'s death to be seen by the head's callers");
    }
}
