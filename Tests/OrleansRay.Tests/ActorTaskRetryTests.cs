using OrleansRay.Internal;
using OrleansRay.Tests.Actors;
using OrleansRay.Tests.Fixtures;
using OrleansRay.Tests.Functions;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>Ray's actor task retries on an in-process cluster of three nodes with a connected driver: calls queued on a
/// node that leaves are re-sent to the restarted actor and run there in order, and a call lost more often than
/// <c>MaxTaskRetries</c> allows fails with ActorDiedException saying so. (kill -9 of a node process is tested in
/// OrleansRay.Cluster.Tests.ActorTaskRetryTests.)</summary>
public sealed class ActorTaskRetryTests : IAsyncLifetime
{
    private const int Calls = 50;

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private InProcessCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = await InProcessCluster.StartAsync((2, null), (2, null), (2, null));
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Calls_queued_on_a_node_that_leaves_all_run_in_order_on_the_restarted_actor()
    {
        var gate = Guid.NewGuid().ToString();
        try
        {
            await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
            var leaving = _cluster.Nodes[2];
            var leavingId = leaving.NodeId.Value;
            var (journal, calls) = await QueueCallsAsync(ray, leaving, gate, new ActorOptions { MaxRestarts = 1, MaxTaskRetries = 2 });

            await _cluster.StopNodeAsync(leaving);

            var entries = await ray.GetAsync(calls, Deadline);
            // Position k + 1 for call k: every call ran on one fresh instance, in submission order.
            Assert.Equal(Enumerable.Range(0, Calls), entries.Select(e => e.Index));
            Assert.Equal(Enumerable.Range(1, Calls), entries.Select(e => e.Position));
            Assert.DoesNotContain(entries, e => e.Node == leavingId);
            Assert.All(entries, e => Assert.Equal(1, e.Attempt)); // each ran as its second send (RayContext.AttemptNumber)
            Assert.Equal(Enumerable.Range(0, Calls), await ray.GetAsync(journal.Task(j => j.Indexes()).Remote(), Deadline));
        }
        finally
        {
            // The left node's worker thread is still held in the first call: let it end.
            Gates.Get(gate).Set();
        }
    }

    [Fact]
    public async Task A_call_lost_more_often_than_MaxTaskRetries_allows_fails_with_ActorDied_saying_its_retries_are_exhausted()
    {
        var gate = Guid.NewGuid().ToString();
        try
        {
            await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
            var host = _cluster.Nodes[1];
            var (_, calls) = await QueueCallsAsync(ray, host, gate, new ActorOptions { MaxRestarts = 1, MaxTaskRetries = 2 });

            // The driver is told the actor's node died while that node still answers: each time it accepts the re-sent
            // calls again, the driver counts them lost again (a node it holds dead), until their retries run out.
            IRayRuntimeAccess.Of(ray).Actors.NodeDied(host.NodeId);

            foreach (var call in calls)
            {
                var died = await Assert.ThrowsAsync<ActorDiedException>(async () => await ray.GetAsync(call, Deadline));
                Assert.Contains("retries are exhausted: it was sent 3 time(s) and the actor's MaxTaskRetries is 2", died.Message, StringComparison.Ordinal);
            }
        }
        finally
        {
            Gates.Get(gate).Set();
        }
    }

    [Fact]
    public async Task A_detached_actor_whose_node_left_comes_back_only_while_its_MaxRestarts_allows()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        var leaving = _cluster.Nodes[2];
        var leavingId = leaving.NodeId.Value;
        var there = SchedulingStrategy.NodeAffinity(leaving.NodeId, soft: true);
        var suffix = Guid.NewGuid().ToString("N");
        var once = ray.Actor(() => new RetryJournal())
            .Options(new ActorOptions { Name = "once-" + suffix, Lifetime = ActorLifetime.Detached, MaxRestarts = 1, SchedulingStrategy = there })
            .Remote();
        var never = ray.Actor(() => new RetryJournal())
            .Options(new ActorOptions { Name = "never-" + suffix, Lifetime = ActorLifetime.Detached, SchedulingStrategy = there })
            .Remote();
        Assert.Equal(leavingId, (await ray.GetAsync(once.Task((j, k) => j.Append(k), 0).Remote(), Deadline)).Node);
        Assert.Equal(leavingId, (await ray.GetAsync(never.Task((j, k) => j.Append(k), 0).Remote(), Deadline)).Node);

        await _cluster.StopNodeAsync(leaving);

        // Until a call rebuilds them, the state API shows them as Ray's GCS marks them when their node dies.
        string?[] states = [];
        await Eventually.TrueAsync(
            async () =>
            {
                states = [(await ray.State.GetActorAsync(once.ActorId.ToString()))?.State, (await ray.State.GetActorAsync(never.ActorId.ToString()))?.State];
                return states is ["RESTARTING", "DEAD"];
            },
            Deadline,
            "the state API to show the actors of the node that left as RESTARTING and DEAD");
        var summary = await ray.State.SummarizeActorsAsync();
        Assert.Contains(summary.Rows, r => r.Key == typeof(RetryJournal).FullName && r.State == "RESTARTING" && r.Count == 1);
        Assert.Contains(summary.Rows, r => r.Key == typeof(RetryJournal).FullName && r.State == "DEAD" && r.Count == 1);

        // As in Ray, a detached actor's restarts are bounded by its MaxRestarts (the default 0: none).
        var died = await Assert.ThrowsAsync<ActorDiedException>(async () => await ray.GetAsync(never.Task((j, k) => j.Append(k), 1).Remote(), Deadline));
        Assert.Contains("no restarts left (MaxRestarts = 0)", died.Message, StringComparison.Ordinal);
        var dead = await ray.State.GetActorAsync(never.ActorId.ToString());
        Assert.Equal(("DEAD", leavingId), (dead?.State, dead?.Node)); // where it lived, not the node the call reached
        var back = await ray.GetAsync(once.Task((j, k) => j.Append(k), 1).Remote(), Deadline);
        Assert.NotEqual(leavingId, back.Node);
        Assert.Equal(1, back.Position); // a new instance, its state reset
        await Assert.ThrowsAsync<ActorNotFoundException>(() => ray.GetActorAsync<RetryJournal>("never-" + suffix));
        Assert.Equal(once.ActorId, (await ray.GetActorAsync<RetryJournal>("once-" + suffix)).ActorId);
        Assert.Equal("ALIVE", (await ray.State.GetActorAsync(once.ActorId.ToString()))?.State);
        // Rebuilt, it is counted once, where it lives now, and no longer as lost with its old node.
        var after = (await ray.State.SummarizeActorsAsync()).Rows.Where(r => r.Key == typeof(RetryJournal).FullName).ToList();
        Assert.Equal(1, after.Where(r => r.State == "ALIVE").Sum(r => r.Count));
        Assert.DoesNotContain(after, r => r.State == "RESTARTING");
        await ray.KillAsync(once);
    }

    [Fact]
    public async Task The_state_API_lists_named_actors_of_every_namespace_whose_node_left()
    {
        // A reviewer's detached actor of namespace team-a vanished from `list actors` after its node died: the list read
        // the asking driver's namespace only, while Ray's lists every namespace.
        var team = "team-" + Guid.NewGuid().ToString("N")[..8];
        var leaving = _cluster.Nodes[2];
        await using var teamDriver = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken, Namespace = team });
        var registry = teamDriver.Actor(() => new RetryJournal())
            .Options(new ActorOptions { Name = "registry", Lifetime = ActorLifetime.Detached, MaxRestarts = 1, SchedulingStrategy = SchedulingStrategy.NodeAffinity(leaving.NodeId, soft: true) })
            .Remote();
        Assert.Equal(leaving.NodeId.Value, (await teamDriver.GetAsync(registry.Task((j, k) => j.Append(k), 0).Remote(), Deadline)).Node);

        await _cluster.StopNodeAsync(leaving);

        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        ActorStateRow? row = null;
        await Eventually.TrueAsync(
            async () => (row = (await ray.State.ListActorsAsync(StateListOptions.Where("name=registry"))).Rows.SingleOrDefault(r => r.Namespace == team)) is { State: "RESTARTING" },
            Deadline,
            $"a driver of the default namespace to list the team's actor as RESTARTING");
        Assert.Equal(registry.ActorId.ToString(), row!.ActorId);
        await teamDriver.KillAsync(registry);
    }

    [Fact]
    public async Task A_restart_by_KillAsync_counts_against_MaxRestarts_when_the_node_later_dies()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        var leaving = _cluster.Nodes[2];
        var leavingId = leaving.NodeId.Value;
        var journal = ray.Actor(() => new RetryJournal())
            .Options(new ActorOptions { MaxRestarts = 1, SchedulingStrategy = SchedulingStrategy.NodeAffinity(leaving.NodeId, soft: true) })
            .Remote();
        Assert.Equal(leavingId, (await ray.GetAsync(journal.Task((j, k) => j.Append(k), 0).Remote(), Deadline)).Node);

        // Its one restart, used by a kill...
        await ray.KillAsync(journal, noRestart: false);
        Assert.Equal(1, (await ray.GetAsync(journal.Task((j, k) => j.Append(k), 1).Remote(), Deadline)).Position);
        await Eventually.TrueAsync(async () => (await ray.State.GetActorAsync(journal.ActorId.ToString()))?.Restarts == 1, Deadline, "the actor's restart to be listed");

        // ...so when its node dies there is none left, as in Ray (max_restarts counts every restart).
        await _cluster.StopNodeAsync(leaving);
        var died = await Assert.ThrowsAsync<ActorDiedException>(async () => await ray.GetAsync(journal.Task((j, k) => j.Append(k), 2).Remote(), Deadline));
        Assert.Contains("no restarts left (MaxRestarts = 1)", died.Message, StringComparison.Ordinal);
    }

    /// <summary>Creates a <see cref="RetryJournal"/> on <paramref name="node"/> and makes <see cref="Calls"/> calls: the
    /// first holds the actor there (until <paramref name="gate"/> opens), the others queue behind it. Returns once that
    /// node's mailbox holds all of them.</summary>
    private static async Task<(ActorHandle<RetryJournal> Journal, ObjectRef<RetryEntry>[] Calls)> QueueCallsAsync(IRay ray, InProcessCluster.Node node, string gate, ActorOptions options)
    {
        options.SchedulingStrategy = SchedulingStrategy.NodeAffinity(node.NodeId);
        var journal = ray.Actor(() => new RetryJournal()).Options(options).Remote();
        var calls = new ObjectRef<RetryEntry>[Calls];
        calls[0] = journal.Task((j, i, on, g) => j.HoldOnThenAppend(i, on, g), 0, node.NodeId.Value, gate).Remote();
        for (var i = 1; i < Calls; i++)
        {
            calls[i] = journal.Task((j, k) => j.Append(k), i).Remote();
        }

        Assert.True(Gates.Get(gate + ".entered").Wait(Deadline), "the first call runs on the chosen node");
        await Eventually.TrueAsync(
            () => node.Runtime.ActorServices.HostedActors.Snapshot().Any(a => a.Info.ActorId == journal.ActorId && a.PendingCalls == Calls),
            Deadline,
            $"the node's mailbox holds all {Calls} calls");
        return (journal, calls);
    }
}
