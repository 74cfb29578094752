using OrleansRay.Grains;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>The control store's actor table (Ray's GCS actor table), sharded: rows of many actors in one head
/// activation per shard, dead actors' rows kept up to a cap, oldest dropped first.</summary>
public sealed class ActorTableTests
{
    [Fact]
    public void Every_actor_falls_in_a_shard_and_new_actors_spread_over_all_of_them()
    {
        var counts = new int[ActorTableShards.Count];
        for (var i = 0; i < 32_000; i++)
        {
            var shard = ActorTableShards.Of(ActorId.NewId());
            Assert.InRange(shard, 0, ActorTableShards.Count - 1);
            counts[shard]++;
        }

        // 1,000 per shard on average; a sequential id counter must not pile onto a few shards.
        Assert.All(counts, count => Assert.InRange(count, 500, 1_500));
        Assert.Equal(ActorTableShards.Of(new ActorId(7, 9)), ActorTableShards.Of(new ActorId(7, 9)));
    }

    [Fact]
    public async Task A_kill_reported_before_the_registration_keeps_the_actor_dead()
    {
        await using var cluster = await InProcessCluster.StartAsync((1, null));
        var id = ActorId.NewId();
        var table = cluster.Nodes[0].Runtime.GrainFactory.GetGrain<IActorTableGrain>(ActorTableShards.Of(id));
        await table.ReportAsync([new ActorStateReport(id, ActorState.Dead, "node-a")]);
        await table.RegisterAsync([new ActorCreationSpec
        {
            ActorId = id,
            ClassName = "TestActor",
            Constructor = new FunctionDescriptor("TestAssembly", "TestActor", ".ctor", 0),
            Options = new ActorOptionsData { MaxRestarts = 3 },
        }]);

        var row = Assert.Single(await table.RowsAsync([id]));
        Assert.Equal((ActorState.Dead, false), (row.State, row.MayRestart));
        Assert.Contains("killed", (await table.RestartAsync(id, "node-b")).RefusedBecause, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_shard_keeps_its_latest_dead_actors_up_to_its_cap_without_constructor_arguments_and_drops_the_oldest()
    {
        await using var cluster = await InProcessCluster.StartAsync((1, null));
        const int shard = 5;
        var table = cluster.Nodes[0].Runtime.GrainFactory.GetGrain<IActorTableGrain>(shard);
        var deaths = ActorTableShards.DeadKeptPerShard + 900;
        var ids = new List<ActorId>(deaths);
        while (ids.Count < deaths)
        {
            var id = ActorId.NewId();
            if (ActorTableShards.Of(id) == shard)
            {
                ids.Add(id);
            }
        }

        var constructor = new FunctionDescriptor("TestAssembly", "TestActor", ".ctor", 0);
        foreach (var chunk in ids.Chunk(500))
        {
            await table.RegisterAsync(chunk.Select(id => new ActorCreationSpec
            {
                ActorId = id,
                ClassName = "TestActor",
                Constructor = constructor,
                Args = [TaskArg.FromValue(new int[1_000])],
                Options = new ActorOptionsData { MaxRestarts = 3 },
            }).ToArray());
        }

        // Alive, its node gone: it may come back, with its arguments.
        var restart = await table.RestartAsync(ids[0], "node-b");
        Assert.Null(restart.RefusedBecause);
        Assert.Equal(1, restart.Restarts);
        Assert.Single(restart.Spec!.Args);

        foreach (var chunk in ids.Chunk(500))
        {
            await table.ReportAsync(chunk.Select(id => new ActorStateReport(id, ActorState.Dead, "test-node")).ToArray());
        }

        // A dead row never comes back, even when a late report says otherwise.
        await table.ReportAsync([new ActorStateReport(ids[^1], ActorState.Alive, "test-node")]);
        var newest = await table.RestartAsync(ids[^1], "node-b");
        Assert.Contains("killed", newest.RefusedBecause);
        Assert.Equal("TestActor", newest.Spec!.ClassName);
        Assert.Empty(newest.Spec.Args);

        var kept = 0;
        var keptFrom = -1;
        for (var i = 0; i < ids.Count; i++)
        {
            var answer = await table.RestartAsync(ids[i], "node-b");
            Assert.NotNull(answer.RefusedBecause);
            if (answer.Spec is not null)
            {
                kept++;
                keptFrom = keptFrom < 0 ? i : keptFrom;
            }
            else
            {
                Assert.Contains("oldest dead actors", answer.RefusedBecause);
            }
        }

        // The kept rows are the newest ones, at least the cap and at most an eighth over it.
        Assert.InRange(kept, ActorTableShards.DeadKeptPerShard, ActorTableShards.DeadKeptPerShard + (ActorTableShards.DeadKeptPerShard / 8));
        Assert.Equal(ids.Count - kept, keptFrom);
    }
}
