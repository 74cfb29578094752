using OrleansRay.Cluster.TestApp;
using OrleansRay.Cluster.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Cluster.Tests.Drivers;

/// <summary>Connected drivers on a cluster whose membership and control-store state live in a throwaway PostgreSQL
/// (<c>--storage</c>): issue 4's "the same with --storage on PostgreSQL" and "head restart on PostgreSQL".</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresDriverTests
{
    private readonly PostgresServer _server;

    public PostgresDriverTests(PostgresServer server)
    {
        _server = server;
    }

    [Fact]
    public async Task On_PostgreSQL_a_thousand_spread_tasks_land_on_all_three_nodes()
    {
        // The collection's shared PostgreSQL cluster: head and two workers, all alive.
        var cluster = (await _server.SharedClusterAsync()).Cluster;
        await using var ray = await Driver.ConnectAsync(cluster);
        var alive = await Driver.AliveNodeIdsAsync(ray);

        var refs = Enumerable.Range(0, 1000)
            .Select(_ => ray.Task(Work.WhereAmI).Options(new TaskOptions { SchedulingStrategy = SchedulingStrategy.Spread }).Remote())
            .ToList();
        var nodes = (await ray.GetAsync(refs, TimeSpan.FromSeconds(60))).ToHashSet(StringComparer.Ordinal);

        Assert.Equal(3, alive.Count);
        Assert.True(alive.SetEquals(nodes), $"tasks ran on {string.Join(", ", nodes)}; alive nodes: {string.Join(", ", alive)}");
    }

    [Fact]
    public async Task On_PostgreSQL_a_detached_named_actor_is_found_after_the_head_restarts()
    {
        var storage = await _server.CreateDatabaseAsync("restart");
        await using (var first = await LocalCluster.StartAsync(new LocalClusterOptions { Storage = storage, Workers = 0 }))
        {
            await using (var ray = await Driver.ConnectAsync(first))
            {
                var keeper = ray.Actor(() => new Counter())
                    .Options(new ActorOptions { Name = "keeper", Lifetime = ActorLifetime.Detached })
                    .Remote();
                Assert.Equal(1, await ray.GetAsync(keeper.Task(CounterCalls.Increment).Remote(), TimeSpan.FromSeconds(30)));
            }

            // `orleansray stop`: the whole cluster goes, only PostgreSQL remembers.
            var report = await first.StopAsync();
            Assert.True(report.Survivors.Count == 0 && report.Files.Count == 0, report.ToString());
        }

        await using var second = await LocalCluster.StartAsync(new LocalClusterOptions { Storage = storage, Workers = 0 });
        await using var again = await Driver.ConnectAsync(second);

        var found = await again.GetActorAsync<Counter>("keeper");
        var count = await again.GetAsync(found.Task(CounterCalls.Increment).Remote(), TimeSpan.FromSeconds(60));

        // Found and answering; its count restarts unless the actor keeps state itself (API.md).
        Assert.True(count >= 1, $"Increment returned {count}");
        Assert.Contains(await again.GetAsync(found.Task(CounterCalls.Node).Remote(), TimeSpan.FromSeconds(30)), await Driver.AliveNodeIdsAsync(again));
    }
}
