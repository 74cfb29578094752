using Microsoft.Extensions.DependencyInjection;
using OrleansRay.Tests.Actors;
using OrleansRay.Tests.Fixtures;
using OrleansRay.Tests.Functions;
using Xunit;

namespace OrleansRay.Tests.Placement;

/// <summary>A class actor waiting for its resources on a busy node starts on another node that has room, as Ray's GCS
/// places a pending actor on whichever node has room: one rebuilt after its node died (the rebuild lands where its next
/// call arrived), and one created while every node was busy, once another node frees up. Each test starts its own
/// cluster of 1-CPU nodes (and driver) and disposes it; "busy" is a 1-CPU actor pinned to the node.</summary>
public sealed class BusyNodeActorTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    /// <summary>The head is busy; the actor lives on the third node, which leaves; its next call, made on the head,
    /// rebuilds it on the head, where it cannot start, so it moves to the second node, which is free. (A connected
    /// driver's call rebuilds it on whichever gateway Orleans routed the call through: the same case when that node is
    /// busy, but not one a test can choose.)</summary>
    [Fact]
    public async Task An_actor_rebuilt_on_a_busy_node_moves_to_a_node_with_room()
    {
        await using var cluster = await InProcessCluster.StartAsync((1, null), (1, null), (1, null));
        var ray = cluster.Nodes[0].Host.Services.GetRequiredService<IRay>();
        var (head, free, leaving) = (cluster.Nodes[0], cluster.Nodes[1], cluster.Nodes[2]);
        var blocker = await PinnedAsync(ray, head);
        var actor = ray.Actor(() => new Locator())
            .Options(new ActorOptions { NumCpus = 1, MaxRestarts = 1, SchedulingStrategy = SchedulingStrategy.NodeAffinity(leaving.NodeId) })
            .Remote();
        Assert.Equal(leaving.NodeId.Value, await ray.GetAsync(actor.Task(a => a.Where()).Remote(), Deadline));
        Assert.Equal(1, await ray.GetAsync(actor.Task(a => a.Calls()).Remote(), Deadline));

        await cluster.StopNodeAsync(leaving);

        Assert.Equal(free.NodeId.Value, await ray.GetAsync(actor.Task(a => a.Where()).Remote(), Deadline));
        Assert.Equal(1, await ray.GetAsync(actor.Task(a => a.Calls()).Remote(), Deadline)); // a fresh instance
        Assert.Equal(head.NodeId.Value, await ray.GetAsync(blocker.Task(a => a.Where()).Remote(), Deadline)); // the head stayed busy
        var row = await ray.State.GetActorAsync(actor.ActorId.ToString());
        Assert.Equal(("ALIVE", 1), (row?.State, row?.Restarts)); // the move is no restart
    }

    /// <summary>As <see cref="An_actor_rebuilt_on_a_busy_node_moves_to_a_node_with_room"/> for an actor behind a grain
    /// interface: its grain activation is placed where the rebuilt actor went. (Left on the busy head, its calls waited
    /// there until Orleans' 30 s response timeout.)</summary>
    [Fact]
    public async Task A_grain_interface_actor_rebuilt_on_a_busy_node_is_placed_on_a_node_with_room()
    {
        await using var cluster = await InProcessCluster.StartAsync((1, null), (1, null), (1, null));
        var ray = cluster.Nodes[0].Host.Services.GetRequiredService<IRay>();
        var (head, free, leaving) = (cluster.Nodes[0], cluster.Nodes[1], cluster.Nodes[2]);
        var blocker = await PinnedAsync(ray, head);
        var actor = await ray.CreateActorAsync<TestGrainActors.ICounterActor>(
            new ActorOptions { NumCpus = 1, MaxRestarts = 1, SchedulingStrategy = SchedulingStrategy.NodeAffinity(leaving.NodeId) });
        Assert.Equal(leaving.NodeId.Value, await actor.Node().WaitAsync(Deadline));
        Assert.Equal(5, await actor.Add(5).WaitAsync(Deadline));

        await cluster.StopNodeAsync(leaving);

        Assert.Equal(free.NodeId.Value, await actor.Node().WaitAsync(Deadline));
        Assert.Equal(1, await actor.Increment().WaitAsync(Deadline)); // a fresh instance
        Assert.Equal(head.NodeId.Value, await ray.GetAsync(blocker.Task(a => a.Where()).Remote(), Deadline)); // the head stayed busy
    }

    [Fact]
    public async Task An_actor_created_while_every_node_was_busy_starts_on_the_first_node_that_frees_up()
    {
        await using var cluster = await InProcessCluster.StartAsync((1, null), (1, null));
        var ray = cluster.Nodes[0].Host.Services.GetRequiredService<IRay>();
        var (head, worker) = (cluster.Nodes[0], cluster.Nodes[1]);
        var headBlocker = await PinnedAsync(ray, head);
        var workerBlocker = await PinnedAsync(ray, worker);

        // Created by a driver on the head while both nodes are busy: it waits on the head, its call queued.
        var actor = ray.Actor(() => new Locator()).Options(new ActorOptions { NumCpus = 1 }).Remote();
        var early = actor.Task(a => a.Calls()).Remote();
        await Eventually.TrueAsync(async () => (await ray.PendingDemandsAsync()).Any(d => d.IsActor && !d.IsInfeasible),
            Deadline, "the actor is a pending demand");
        Assert.Empty((await ray.WaitAsync(new[] { early }, numReturns: 1, TimeSpan.Zero)).Ready);

        await ray.KillAsync(workerBlocker);
        Assert.Equal(1, await ray.GetAsync(early, Deadline));
        Assert.Equal(worker.NodeId.Value, await ray.GetAsync(actor.Task(a => a.Where()).Remote(), Deadline));
        Assert.Equal(head.NodeId.Value, await ray.GetAsync(headBlocker.Task(a => a.Where()).Remote(), Deadline)); // the head stayed busy
    }

    /// <summary>A move asked toward a node that has left (the mover's view can list a node for a few refreshes after it
    /// left or died) does not happen: the actor stays, with its queued call, and starts once a node has room, with no
    /// restart. (The handover is packed when the move is asked; a migration Orleans could not place lost both.)</summary>
    [Fact]
    public async Task A_move_toward_a_node_that_left_keeps_the_actor_and_its_queued_call()
    {
        await using var cluster = await InProcessCluster.StartAsync((1, null), (1, null), (1, null));
        var ray = cluster.Nodes[0].Host.Services.GetRequiredService<IRay>();
        var (head, worker, gone) = (cluster.Nodes[0], cluster.Nodes[1], cluster.Nodes[2]);
        var headBlocker = await PinnedAsync(ray, head);
        var workerBlocker = await PinnedAsync(ray, worker);
        await PinnedAsync(ray, gone);
        var actor = ray.Actor(() => new Locator()).Options(new ActorOptions { NumCpus = 1 }).Remote();
        var early = actor.Task(a => a.Calls()).Remote();
        await Eventually.TrueAsync(async () => (await ray.PendingDemandsAsync()).Any(d => d.IsActor && !d.IsInfeasible),
            Deadline, "the actor is a pending demand");

        var goneAddress = gone.NodeId.Value!;
        await cluster.StopNodeAsync(gone);
        await head.Runtime.ActorServices.GrainFactory.GetGrain<OrleansRay.Grains.IActorHostGrain>(actor.ActorId.ToGuid()).MoveToAsync(goneAddress);

        await ray.KillAsync(workerBlocker);
        Assert.Equal(1, await ray.GetAsync(early, Deadline));
        Assert.Equal(worker.NodeId.Value, await ray.GetAsync(actor.Task(a => a.Where()).Remote(), Deadline));
        var row = await ray.State.GetActorAsync(actor.ActorId.ToString());
        Assert.Equal(("ALIVE", 0), (row?.State, row?.Restarts));
        Assert.Equal(head.NodeId.Value, await ray.GetAsync(headBlocker.Task(a => a.Where()).Remote(), Deadline));
    }

    /// <summary>Calls queued for a waiting actor move with it to the node that frees up; when that node then leaves, the
    /// caller counts them lost with it and re-sends them to the actor's next instance, where they run in order. (Before,
    /// the caller still took them for calls of the node where they were first queued, which lived on: they hung.)</summary>
    [Fact]
    public async Task Calls_moved_with_an_actor_to_a_node_that_then_leaves_run_on_its_next_instance()
    {
        const int calls = 5;
        var gate = Guid.NewGuid().ToString();
        try
        {
            await using var cluster = await InProcessCluster.StartAsync((1, null), (1, null), (1, null));
            var ray = cluster.Nodes[0].Host.Services.GetRequiredService<IRay>();
            var (head, worker, target) = (cluster.Nodes[0], cluster.Nodes[1], cluster.Nodes[2]);
            await PinnedAsync(ray, head);
            var workerBlocker = await PinnedAsync(ray, worker);
            var targetBlocker = await PinnedAsync(ray, target);
            var journal = ray.Actor(() => new RetryJournal())
                .Options(new ActorOptions { NumCpus = 1, MaxRestarts = 1, MaxTaskRetries = 1 })
                .Remote();
            var refs = new ObjectRef<RetryEntry>[calls];
            refs[0] = journal.Task((j, i, on, g) => j.HoldOnThenAppend(i, on, g), 0, target.NodeId.Value, gate).Remote();
            for (var i = 1; i < calls; i++)
            {
                refs[i] = journal.Task((j, k) => j.Append(k), i).Remote();
            }

            await Eventually.TrueAsync(
                () => cluster.Nodes.Any(n => n != target && n.Runtime.ActorServices.HostedActors.Snapshot().Any(a => a.Info.ActorId == journal.ActorId && a.PendingCalls == calls)),
                Deadline,
                $"a busy node's mailbox holds all {calls} calls");

            await ray.KillAsync(targetBlocker);
            Assert.True(Gates.Get(gate + ".entered").Wait(Deadline), "the actor moved to the freed node and runs its first call there");
            await cluster.StopNodeAsync(target);
            await ray.KillAsync(workerBlocker); // room for its next instance

            var entries = await ray.GetAsync(refs, Deadline);
            Assert.Equal(Enumerable.Range(0, calls), entries.Select(e => e.Index));
            Assert.Equal(Enumerable.Range(1, calls), entries.Select(e => e.Position)); // one fresh instance ran them all
            Assert.All(entries, e => Assert.Equal((worker.NodeId.Value, 1), (e.Node, e.Attempt))); // each re-sent once
        }
        finally
        {
            Gates.Get(gate).Set(); // the left node's worker thread is still held in the first call
        }
    }

    /// <summary>A 1-CPU actor pinned to <paramref name="node"/>, alive: the node has no CPU left.</summary>
    private static async Task<ActorHandle<Locator>> PinnedAsync(IRay ray, InProcessCluster.Node node)
    {
        var blocker = ray.Actor(() => new Locator())
            .Options(new ActorOptions { NumCpus = 1, SchedulingStrategy = SchedulingStrategy.NodeAffinity(node.NodeId) })
            .Remote();
        Assert.Equal(node.NodeId.Value, await ray.GetAsync(blocker.Task(a => a.Where()).Remote(), Deadline));
        return blocker;
    }
}
