using Microsoft.Extensions.DependencyInjection;
using OrleansRay.Tests.Actors;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.RayState;

/// <summary>The actors of a node that died stay in <c>list actors</c> and <c>summary actors</c>, as Ray's GCS keeps its
/// actors, dead ones included, after their node is gone: one killed before, one lost with the node and no restart left
/// (both DEAD), and one that may restart (RESTARTING until a call rebuilds it), each with its node and job. Unnamed:
/// before, only named actors no node hosted were listed, so these vanished with their node.</summary>
public sealed class DeadNodeActorListTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task The_actors_of_a_node_that_died_stay_listed_as_dead_or_restarting_with_their_node_and_job()
    {
        await using var cluster = await InProcessCluster.StartAsync((2, null), (2, null));
        var ray = cluster.Nodes[0].Host.Services.GetRequiredService<IRay>();
        var leaving = cluster.Nodes[1];
        var leavingId = leaving.NodeId.Value!;
        var killed = await OnAsync(ray, leaving, maxRestarts: 0);
        var lost = await OnAsync(ray, leaving, maxRestarts: 0);
        var back = await OnAsync(ray, leaving, maxRestarts: 1);
        var ids = new[] { killed, lost, back }.Select(a => a.ActorId.ToString()).ToArray();
        await ray.KillAsync(killed);
        var job = (await RowsAsync(ray, ids))[ids[1]].JobId;
        Assert.NotEqual(string.Empty, job);

        await cluster.StopNodeAsync(leaving);

        Dictionary<string, ActorStateRow> rows = new();
        await Eventually.TrueAsync(
            async () =>
            {
                rows = await RowsAsync(ray, ids);
                return rows.Count == 3 && rows[ids[1]].State == "DEAD";
            },
            Deadline,
            "the left node's three actors to be listed, the one without restarts as DEAD");
        Assert.Equal(["DEAD", "DEAD", "RESTARTING"], ids.Select(id => rows[id].State));
        Assert.All(ids, id => Assert.Equal((leavingId, job), (rows[id].Node, rows[id].JobId)));

        var summary = (await ray.State.SummarizeActorsAsync()).Rows.Where(r => r.Key == typeof(Locator).FullName).ToList();
        Assert.Equal(2, summary.Where(r => r.State == "DEAD").Sum(r => r.Count));
        Assert.Equal(1, summary.Where(r => r.State == "RESTARTING").Sum(r => r.Count));

        // Rebuilt by a call, the one with a restart left is listed where it lives now, and no longer with its old node.
        Assert.Equal(cluster.Nodes[0].NodeId.Value, await ray.GetAsync(back.Task(a => a.Where()).Remote(), Deadline));
        await Eventually.TrueAsync(
            async () => (await RowsAsync(ray, ids)).TryGetValue(ids[2], out var row) && row.State == "ALIVE" && row.Node == cluster.Nodes[0].NodeId.Value,
            Deadline,
            "the rebuilt actor to be listed alive on the head");
    }

    /// <summary>An actor lost with its node and killed afterwards is listed DEAD where it lived. (The kill reached a fresh
    /// host on a live node, whose report moved the row there, where no node listed it: it vanished. Found by review.)</summary>
    [Fact]
    public async Task An_actor_lost_with_its_node_and_killed_afterwards_is_listed_dead_where_it_lived()
    {
        await using var cluster = await InProcessCluster.StartAsync((2, null), (2, null));
        var ray = cluster.Nodes[0].Host.Services.GetRequiredService<IRay>();
        var leaving = cluster.Nodes[1];
        var leavingId = leaving.NodeId.Value!;
        var actor = await OnAsync(ray, leaving, maxRestarts: 1);
        var ids = new[] { actor.ActorId.ToString() };
        await cluster.StopNodeAsync(leaving);
        await Eventually.TrueAsync(async () => (await RowsAsync(ray, ids)).TryGetValue(ids[0], out var row) && row.State == "RESTARTING", Deadline, "the lost actor to be listed RESTARTING");

        await ray.KillAsync(actor);

        await Eventually.TrueAsync(
            async () => (await RowsAsync(ray, ids)).TryGetValue(ids[0], out var row) && (row.State, row.Node) == ("DEAD", leavingId),
            Deadline,
            "the killed actor to be listed DEAD on the node it lived on");
        var filtered = await ray.State.ListActorsAsync(StateListOptions.Where("state=DEAD", $"actor_id={ids[0]}"));
        Assert.Equal((1, 1), (filtered.Rows.Count, filtered.Total));
    }

    private static async Task<ActorHandle<Locator>> OnAsync(IRay ray, InProcessCluster.Node node, int maxRestarts)
    {
        var actor = ray.Actor(() => new Locator())
            .Options(new ActorOptions { NumCpus = 0, MaxRestarts = maxRestarts, SchedulingStrategy = SchedulingStrategy.NodeAffinity(node.NodeId) })
            .Remote();
        Assert.Equal(node.NodeId.Value, await ray.GetAsync(actor.Task(a => a.Where()).Remote(), Deadline));
        return actor;
    }

    private static async Task<Dictionary<string, ActorStateRow>> RowsAsync(IRay ray, string[] ids) =>
        (await ray.State.ListActorsAsync()).Rows.Where(r => ids.Contains(r.ActorId)).ToDictionary(r => r.ActorId);
}
