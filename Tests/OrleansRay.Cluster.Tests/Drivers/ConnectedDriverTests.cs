using OrleansRay.Cluster.TestApp;
using OrleansRay.Cluster.Tests.Fixtures;
using OrleansRay.Tests.Processes;
using Xunit;
using Xunit.Abstractions;

namespace OrleansRay.Cluster.Tests.Drivers;

/// <summary>Issue 4's acceptance items that need a connected driver, on a real 3-node cluster (head + 2 workers, every
/// node started with <c>--load OrleansRay.Cluster.TestApp.dll</c>). Run them alone with
/// <c>dotnet test Tests/OrleansRay.Cluster.Tests --filter "FullyQualifiedName~.Drivers."</c>.</summary>
/// <remarks>Everything the nodes run comes from the TestApp (functions, the Counter class and its methods through
/// <see cref="CounterCalls"/>): a lambda written here would compile into this test assembly, which the nodes do not
/// load (<see cref="NotLoaded"/> relies on that).</remarks>
[Collection(ClusterCollection.Name)]
public sealed class ConnectedDriverTests : IAsyncLifetime
{
    private readonly SharedCluster _shared;
    private readonly ITestOutputHelper _output;

    public ConnectedDriverTests(SharedCluster shared, ITestOutputHelper output)
    {
        _shared = shared;
        _output = output;
    }

    private LocalCluster Cluster => _shared.Cluster;

    public Task InitializeAsync() => _shared.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_thousand_spread_tasks_land_on_all_three_nodes()
    {
        await using var ray = await Driver.ConnectAsync(Cluster);
        var alive = await Driver.AliveNodeIdsAsync(ray);
        Assert.Equal(3, alive.Count);

        var refs = Enumerable.Range(0, 1000)
            .Select(_ => ray.Task(Work.WhereAmI).Options(new TaskOptions { SchedulingStrategy = SchedulingStrategy.Spread }).Remote())
            .ToList();
        var nodes = await ray.GetAsync(refs, TimeSpan.FromSeconds(60));

        var counts = nodes.GroupBy(n => n).ToDictionary(g => g.Key, g => g.Count());
        _output.WriteLine(string.Join(", ", counts.Select(c => $"{c.Key}: {c.Value}")));
        Assert.True(alive.SetEquals(counts.Keys), $"tasks ran on {string.Join(", ", counts.Keys)}; alive nodes: {string.Join(", ", alive)}");
        Assert.All(Cluster.RunningNodes, n => Assert.Contains(counts.Keys, id => n.Owns(id)));
    }

    [Fact]
    public async Task All_5000_tasks_return_the_right_values_when_a_worker_is_killed_while_they_run()
    {
        await using var ray = await Driver.ConnectAsync(Cluster);
        var victim = _shared.Workers[0];
        var spread = new TaskOptions { SchedulingStrategy = SchedulingStrategy.Spread };

        var refs = Enumerable.Range(0, 5000).Select(i => ray.Task(Work.SlowSquare, i).Options(spread).Remote()).ToList();
        // Kill once work is flowing everywhere: a few hundred results are in, thousands are queued or running.
        var (ready, _) = await ray.WaitAsync(refs, numReturns: 300, timeout: TimeSpan.FromSeconds(60));
        Assert.Equal(300, ready.Count);
        await Cluster.KillAsync(victim);
        var results = await ray.GetAsync(refs, TimeSpan.FromSeconds(180));

        Assert.Equal(5000, results.Length);
        for (var i = 0; i < results.Length; i++)
        {
            Assert.True(results[i].Value == i * i, $"task {i} returned {results[i].Value}");
        }

        var byNode = results.GroupBy(r => r.Node).ToDictionary(g => g.Key, g => g.Count());
        _output.WriteLine(string.Join(", ", byNode.Select(c => $"{c.Key}: {c.Value}")));
        // The victim ran some before it died; the rest ran on the survivors.
        Assert.Contains(byNode.Keys, victim.Owns);
        Assert.True(byNode.Where(n => !victim.Owns(n.Key)).Sum(n => n.Value) > 2500, "most tasks should have run on the surviving nodes");
    }

    [Fact]
    public async Task An_actor_placed_on_a_worker_that_is_killed_answers_again_from_another_node()
    {
        await using var ray = await Driver.ConnectAsync(Cluster);
        var victim = _shared.Workers[1];
        var victimId = await Driver.IdOfAsync(ray, victim);
        var counter = ray.Actor(() => new Counter())
            .Options(new ActorOptions
            {
                // Soft: the actor may restart elsewhere once its node is gone (hard affinity would pin it to the dead node).
                SchedulingStrategy = SchedulingStrategy.NodeAffinity(victimId, soft: true),
                MaxRestarts = 2,
                MaxTaskRetries = 3,
            })
            .Remote();
        Assert.Equal(1, await ray.GetAsync(counter.Task(CounterCalls.Increment).Remote(), TimeSpan.FromSeconds(30)));
        Assert.Equal(victimId.Value, await ray.GetAsync(counter.Task(CounterCalls.Node).Remote(), TimeSpan.FromSeconds(30)));

        await Cluster.KillAsync(victim);
        var after = await ray.GetAsync(counter.Task(CounterCalls.Node).Remote(), TimeSpan.FromSeconds(60));

        Assert.False(victim.Owns(after), $"the actor still reports the killed node {after}");
        Assert.Contains(after, await Driver.AliveNodeIdsAsync(ray));
        // Restarted: the constructor ran again, the count starts over (API.md: state is lost on restart).
        Assert.Equal(1, await ray.GetAsync(counter.Task(CounterCalls.Increment).Remote(), TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task A_task_needing_accel_is_infeasible_until_a_worker_with_accel_joins_then_runs_there()
    {
        await using var ray = await Driver.ConnectAsync(Cluster);
        var needsAccel = new TaskOptions { Resources = { ["accel"] = 1 } };

        var where = ray.Task(Work.WhereAmI).Options(needsAccel).Remote();
        IReadOnlyList<ResourceDemand> demands = [];
        await Poll.UntilAsync(
            async () => (demands = await ray.PendingDemandsAsync()).Any(d => d.IsInfeasible && !d.IsActor && d.Shape.GetValueOrDefault("accel") == 1),
            TimeSpan.FromSeconds(15),
            "PendingDemandsAsync to report the accel task as infeasible",
            () => string.Join("; ", demands.Select(d => $"{string.Join(",", d.Shape.Select(s => $"{s.Key}={s.Value}"))} x{d.Count} infeasible={d.IsInfeasible}")));
        Assert.False((await ray.WaitAsync([where], numReturns: 1, timeout: TimeSpan.Zero)).Ready.Count > 0, "the accel task ran on a cluster without accel");

        var accel = await Cluster.AddWorkerAsync("{\"accel\":1}");
        var node = await ray.GetAsync(where, TimeSpan.FromSeconds(30));

        Assert.True(accel.Owns(node), $"ran on {node}, not on the accel worker {accel}");
        // Nodes report their demands every second: the infeasible entry goes with the next report.
        await Poll.UntilAsync(
            async () => !(demands = await ray.PendingDemandsAsync()).Any(d => d.IsInfeasible),
            TimeSpan.FromSeconds(10),
            "the infeasible demand to go once the task ran");
    }

    [Fact]
    public async Task A_GenerateSerializer_type_of_the_loaded_assembly_travels_to_a_node_and_back()
    {
        await using var ray = await Driver.ConnectAsync(Cluster);

        var mirrored = await ray.GetAsync(ray.Task(Work.Mirror, new Point(1, 2)).Remote(), TimeSpan.FromSeconds(30));

        Assert.Equal((2, 1), (mirrored.X, mirrored.Y));
        Assert.Contains(mirrored.Node ?? "(none)", await Driver.AliveNodeIdsAsync(ray));
    }

    [Fact]
    public async Task A_function_from_an_assembly_the_nodes_did_not_load_fails_naming_the_assembly_and_the_type()
    {
        await using var ray = await Driver.ConnectAsync(Cluster);

        // NotLoaded lives in this test assembly, which no node loaded (the nodes have only the TestApp).
        var call = ray.Task(NotLoaded.Triple, 2).Remote();
        var error = await Assert.ThrowsAsync<RemoteFunctionNotFoundException>(async () => await ray.GetAsync(call, TimeSpan.FromSeconds(30)));

        Assert.Contains("OrleansRay.Cluster.Tests", error.Message, StringComparison.Ordinal);
        Assert.Contains(typeof(NotLoaded).FullName!, error.Message, StringComparison.Ordinal);
        Assert.Contains("--load", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_loaded_applications_grain_is_hosted_by_every_node_and_reached_from_the_driver_tasks_and_an_actor()
    {
        await using var ray = await Driver.ConnectAsync(Cluster);
        var shared = "tally-" + Guid.NewGuid().ToString("N")[..8];
        var tally = ray.GrainFactory.GetGrain<ITallyGrain>(shared);
        Assert.Equal(1, await tally.AddAsync(1));

        // A task pinned to each node adds to a tally of its own; the grain prefers its caller's node, so each tally
        // lives where its task ran: every node hosts the class it loaded with --load.
        foreach (var node in Cluster.RunningNodes)
        {
            var id = await Driver.IdOfAsync(ray, node);
            var pinned = new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(id) };
            var result = await ray.GetAsync(ray.Task(Tallies.AddFromTask, "tally-" + Guid.NewGuid().ToString("N")[..8], 5).Options(pinned).Remote(), TimeSpan.FromSeconds(30));
            Assert.Equal([id.Value, "5", id.Value], result.Split('|'));
        }

        // An actor on a worker, and a grain reference the driver passes to a task on the other worker.
        var counter = ray.Actor(() => new Counter())
            .Options(new ActorOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(await Driver.IdOfAsync(ray, _shared.Workers[0])) })
            .Remote();
        Assert.Equal(101, await ray.GetAsync(counter.Task(CounterCalls.AddToTally, shared).Remote(), TimeSpan.FromSeconds(30)));
        var onOther = new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(await Driver.IdOfAsync(ray, _shared.Workers[1])) };
        Assert.Equal(111, await ray.GetAsync(ray.Task(Tallies.AddThrough, tally, 10).Options(onOther).Remote(), TimeSpan.FromSeconds(30)));

        // A grain class only the driver has (ICounterGrain's class is in this test assembly, which no node loaded)
        // fails at once in GetGrain, saying the class must be on the nodes when they start.
        var missing = Assert.Throws<ArgumentException>(() => ray.GrainFactory.GetGrain<Grains.ICounterGrain>("x"));
        Assert.Contains($"No node of the cluster hosts a grain class implementing {typeof(Grains.ICounterGrain).FullName}", missing.Message, StringComparison.Ordinal);
        Assert.Contains("--load", missing.Message, StringComparison.Ordinal);
    }
}

/// <summary>A function only the driver has.</summary>
public static class NotLoaded
{
    public static int Triple(int x) => 3 * x;
}
