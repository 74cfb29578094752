using System.Diagnostics;
using System.Text.Json;
using OrleansRay.Cluster.TestApp;
using OrleansRay.Cluster.Tests.Fixtures;
using OrleansRay.Tests.Processes;
using Xunit;

namespace OrleansRay.Cluster.Tests.Drivers;

/// <summary>The head's dashboard API over the shared 3-node cluster: every page sums or lists all live nodes, each
/// worker answers for its own object store, and a killed worker never holds a page up.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterDashboardTests : IAsyncLifetime
{
    /// <summary>A page waits at most 2 s for a node (ClusterDetails.NodeDeadline); the rest is a loaded 2-core machine.</summary>
    private static readonly TimeSpan PageDeadline = TimeSpan.FromSeconds(6);


    private readonly SharedCluster _shared;

    public ClusterDashboardTests(SharedCluster shared)
    {
        _shared = shared;
    }

    private LocalCluster Cluster => _shared.Cluster;

    public Task InitializeAsync() => _shared.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Tasks_actors_and_objects_come_from_every_node()
    {
        await using var ray = await Driver.ConnectAsync(Cluster);
        var worker = _shared.Workers[0];
        var workerId = await Driver.IdOfAsync(ray, worker);
        var ran = await ray.GetAsync(
            Enumerable.Range(0, 30).Select(_ => ray.Task(Work.WhereAmI).Options(new TaskOptions { SchedulingStrategy = SchedulingStrategy.Spread }).Remote()).ToArray(),
            TimeSpan.FromSeconds(60));
        var counter = ray.Actor(() => new Counter()).Options(new ActorOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(workerId, soft: false) }).Remote();
        Assert.Equal(1, await ray.GetAsync(counter.Task(CounterCalls.Increment).Remote(), TimeSpan.FromSeconds(30)));
        var grainActor = await ray.CreateActorAsync<TestGrainActors.ICounterActor>(new ActorOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(workerId) });
        Assert.Equal(2, await grainActor.Add(2));

        using var tasks = await GetAsync("/api/tasks");
        using var actors = await GetAsync("/api/actors");
        using var objects = await GetAsync("/api/objects");

        var nodes = Cluster.RunningNodes;
        var taskNodes = tasks.RootElement.GetProperty("nodes").EnumerateArray().ToList();
        Assert.Equal(3, taskNodes.Count);
        Assert.All(taskNodes, n => Assert.Equal(JsonValueKind.Object, n.GetProperty("counts").ValueKind));
        Assert.All(nodes, node => Assert.Contains(taskNodes, n => node.Owns(n.GetProperty("node").GetString())));
        // Tasks from a driver are received by the nodes that run them; the total is their sum.
        Assert.Equal(
            taskNodes.Sum(n => n.GetProperty("counts").GetProperty("received").GetInt64()),
            tasks.RootElement.GetProperty("counts").GetProperty("received").GetInt64());
        Assert.True(tasks.RootElement.GetProperty("counts").GetProperty("received").GetInt64() >= 30, tasks.RootElement.ToString());
        // The 30 tasks are the newest finished anywhere: the merged list has them from every node they ran on.
        var latestNodes = tasks.RootElement.GetProperty("latest").EnumerateArray()
            .Where(t => t.GetProperty("function").GetString() == "Work.WhereAmI")
            .Select(t => t.GetProperty("node").GetString()!)
            .ToHashSet(StringComparer.Ordinal);
        Assert.Superset(ran.ToHashSet(StringComparer.Ordinal), latestNodes);

        var row = actors.RootElement.GetProperty("actors").EnumerateArray()
            .Single(a => a.GetProperty("className").GetString() == typeof(Counter).FullName && a.GetProperty("state").GetString() == "ALIVE");
        Assert.Equal(workerId.Value, row.GetProperty("node").GetString());
        Assert.True(row.GetProperty("callsRun").GetInt64() >= 1, row.ToString());
        Assert.Equal(0, row.GetProperty("pendingCalls").GetInt32());
        // An actor behind a grain interface is listed by its interface, with the calls its grain ran.
        var grainRow = actors.RootElement.GetProperty("actors").EnumerateArray()
            .Single(a => a.GetProperty("className").GetString() == typeof(TestGrainActors.ICounterActor).FullName && a.GetProperty("state").GetString() == "ALIVE");
        Assert.Equal(workerId.Value, grainRow.GetProperty("node").GetString());
        Assert.Equal(1, grainRow.GetProperty("callsRun").GetInt64());
        await ray.KillAsync(grainActor);

        // Each worker answers for its own store process: capacity as started (--object-store-memory), no error.
        var objectNodes = objects.RootElement.GetProperty("nodes").EnumerateArray().ToList();
        Assert.Equal(3, objectNodes.Count);
        Assert.All(objectNodes, n =>
        {
            Assert.True(n.GetProperty("storeError").ValueKind == JsonValueKind.Null, n.ToString());
            Assert.Equal(Cluster.Options.ObjectStoreMemory, n.GetProperty("store").GetProperty("capacity").GetInt64());
        });
        Assert.Equal(3 * Cluster.Options.ObjectStoreMemory, objects.RootElement.GetProperty("total").GetProperty("store").GetProperty("capacity").GetInt64());
        await ray.KillAsync(counter, noRestart: true);
    }

    [Fact]
    public async Task A_killed_worker_does_not_hold_up_the_pages_and_leaves_them()
    {
        var victim = _shared.Workers[0];

        await Cluster.KillAsync(victim);

        // Right after kill -9 the tables still list it alive: it is asked, and given at most 2 s.
        foreach (var api in new[] { "/api/tasks", "/api/actors", "/api/objects", "/api/cluster" })
        {
            var clock = Stopwatch.StartNew();
            using var page = await GetAsync(api);
            Assert.True(clock.Elapsed < PageDeadline, $"{api} took {clock.Elapsed} with a killed worker");
        }

        JsonDocument? last = null;
        try
        {
            await Poll.UntilAsync(
                async () =>
                {
                    last?.Dispose();
                    last = await GetAsync("/api/tasks");
                    var listed = last.RootElement.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("node").GetString()).ToList();
                    return listed.Count == 2 && !listed.Any(victim.Owns);
                },
                TimeSpan.FromSeconds(30),
                "the killed worker to leave /api/tasks",
                () => last?.RootElement.ToString() ?? "(nothing yet)");
        }
        finally
        {
            last?.Dispose();
        }

        using var cluster = await GetAsync("/api/cluster");
        Assert.Equal(2, cluster.RootElement.GetProperty("aliveCount").GetInt32());
        Assert.Contains(cluster.RootElement.GetProperty("nodes").EnumerateArray(), n => victim.Owns(n.GetProperty("nodeId").GetString()) && n.GetProperty("state").GetString() == "DEAD");
    }

    private async Task<JsonDocument> GetAsync(string path) =>
        JsonDocument.Parse(await Cluster.GetDashboardAsync(path));
}
