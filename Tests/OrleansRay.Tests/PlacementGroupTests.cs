using OrleansRay.Grains;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>Three in-process nodes of 2 CPUs each and one connected driver, shared by the placement-group tests of a class.</summary>
public sealed class ThreeNodeClusterFixture : IAsyncLifetime
{
    public InProcessCluster Cluster { get; private set; } = null!;

    public IRay Ray { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await InProcessCluster.StartAsync((2, null), (2, null), (2, null));
        Ray = await OrleansRay.Ray.InitAsync(new RayOptions { Address = Cluster.Address, AuthToken = Cluster.AuthToken });
    }

    public async Task DisposeAsync()
    {
        await Ray.DisposeAsync();
        await Cluster.DisposeAsync();
    }
}

/// <summary>Placement groups on a 3-node cluster through a connected driver (API.md "Placement groups"; issue 4):
/// strategies, all-or-none reservation, pending groups, removal, bundle indexes.</summary>
public sealed class PlacementGroupTests : IClassFixture<ThreeNodeClusterFixture>, IAsyncLifetime
{
    internal static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    /// <summary>How long a group that cannot fit is watched to stay pending: several retry rounds (500 ms each).</summary>
    internal static readonly TimeSpan PendingWatch = TimeSpan.FromSeconds(2);

    private readonly ThreeNodeClusterFixture _fixture;
    private readonly IRay _ray;
    private double _totalCpus;

    public PlacementGroupTests(ThreeNodeClusterFixture fixture)
    {
        _fixture = fixture;
        _ray = fixture.Ray;
    }

    public static string WhereAmI() => RayContext.NodeId.Value;

    public async Task InitializeAsync()
    {
        _totalCpus = (await _ray.ClusterResourcesAsync())["CPU"];
        Assert.Equal(6, _totalCpus);
        // Start from an idle cluster: nothing reserved or running from an earlier test.
        await WaitAllFreeAsync(_ray, _totalCpus);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task StrictSpread_of_three_bundles_lands_one_per_node_and_removal_frees_the_resources()
    {
        var pg = await _ray.CreatePlacementGroupAsync(CpuBundles(3), PlacementStrategy.StrictSpread, name: "spread3");
        Assert.Equal(3, pg.BundleCount);
        Assert.Equal(PlacementStrategy.StrictSpread, pg.Strategy);
        await pg.ReadyAsync().WaitAsync(Deadline);
        Assert.Equal(PlacementGroupState.Created, await pg.GetStateAsync());

        var where = await _ray.GetAsync(Enumerable.Range(0, 3)
            .Select(i => _ray.Task(WhereAmI).Options(new TaskOptions { PlacementGroup = pg, BundleIndex = i }).Remote()), Deadline);
        var expected = _fixture.Cluster.Nodes.Select(n => n.NodeId.Value).OrderBy(x => x, StringComparer.Ordinal);
        Assert.Equal(expected, where.OrderBy(x => x, StringComparer.Ordinal));

        // Each bundle holds its CPU while the group lives, under Ray's renamed resources.
        await Eventually.TrueAsync(async () =>
        {
            var free = await _ray.AvailableResourcesAsync();
            return free.GetValueOrDefault("CPU") == _totalCpus - 3 && free.GetValueOrDefault($"CPU_group_{pg.Id:N}") == 3;
        }, Deadline, "the three bundles' CPUs are reserved");

        await _ray.RemovePlacementGroupAsync(pg);
        Assert.Equal(PlacementGroupState.Removed, await pg.GetStateAsync());
        await WaitAllFreeAsync(_ray, _totalCpus);
        await _ray.RemovePlacementGroupAsync(pg); // twice is harmless
        await Assert.ThrowsAsync<InvalidOperationException>(() => pg.ReadyAsync());
    }

    [Fact]
    public async Task StrictSpread_of_four_bundles_on_three_nodes_stays_pending_and_holds_nothing()
    {
        var pg = await _ray.CreatePlacementGroupAsync(CpuBundles(4), PlacementStrategy.StrictSpread);
        try
        {
            Assert.False(await pg.WaitAsync(PendingWatch), "four bundles cannot be on four different nodes of three");
            using (var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200)))
            {
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pg.ReadyAsync(cts.Token));
            }

            Assert.Equal(PlacementGroupState.Pending, await pg.GetStateAsync());
            // All or none: no bundle of the pending group holds a CPU.
            Assert.Equal(_totalCpus, (await _ray.AvailableResourcesAsync()).GetValueOrDefault("CPU"));
            Assert.DoesNotContain((await _ray.ClusterResourcesAsync()).Keys, k => k.Contains("_group_", StringComparison.Ordinal));

            // A task submitted to the pending group waits for it instead of running elsewhere.
            var waiting = _ray.Task(WhereAmI).Options(new TaskOptions { PlacementGroup = pg, BundleIndex = 0 }).Remote();
            await Assert.ThrowsAsync<GetTimeoutException>(async () => await _ray.GetAsync(waiting, TimeSpan.FromMilliseconds(500)));
            await _ray.CancelAsync(waiting);
        }
        finally
        {
            await _ray.RemovePlacementGroupAsync(pg);
        }
    }

    [Fact]
    public async Task StrictPack_larger_than_any_node_stays_pending()
    {
        // 2 + 1 CPUs on one node; every node has 2.
        var pg = await _ray.CreatePlacementGroupAsync(new[] { new Bundle { ["CPU"] = 2 }, new Bundle { ["CPU"] = 1 } }, PlacementStrategy.StrictPack);
        try
        {
            Assert.False(await pg.WaitAsync(PendingWatch));
            Assert.Equal(PlacementGroupState.Pending, await pg.GetStateAsync());
            Assert.Equal(_totalCpus, (await _ray.AvailableResourcesAsync()).GetValueOrDefault("CPU"));
            var info = await _fixture.Cluster.Nodes[0].Runtime.GrainFactory.GetGrain<IPlacementGroupGrain>(pg.Id).GetAsync();
            Assert.Contains("StrictPack", info!.PendingReason, StringComparison.Ordinal);
        }
        finally
        {
            await _ray.RemovePlacementGroupAsync(pg);
        }
    }

    [Fact]
    public async Task StrictPack_that_fits_puts_every_bundle_on_one_node()
    {
        var pg = await _ray.CreatePlacementGroupAsync(CpuBundles(2), PlacementStrategy.StrictPack);
        try
        {
            await pg.ReadyAsync().WaitAsync(Deadline);
            var where = await RunInEveryBundleAsync(pg);
            Assert.Single(where.Distinct());
        }
        finally
        {
            await _ray.RemovePlacementGroupAsync(pg);
        }
    }

    [Fact]
    public async Task Pack_uses_as_few_nodes_as_possible()
    {
        var two = await _ray.CreatePlacementGroupAsync(CpuBundles(2), PlacementStrategy.Pack);
        try
        {
            await two.ReadyAsync().WaitAsync(Deadline);
            Assert.Single((await RunInEveryBundleAsync(two)).Distinct());
        }
        finally
        {
            await _ray.RemovePlacementGroupAsync(two);
        }

        await WaitAllFreeAsync(_ray, _totalCpus);

        // Three 1-CPU bundles on 2-CPU nodes: no node holds them all, so two nodes (2 + 1), not three.
        var three = await _ray.CreatePlacementGroupAsync(CpuBundles(3)); // Pack is the default
        try
        {
            Assert.Equal(PlacementStrategy.Pack, three.Strategy);
            await three.ReadyAsync().WaitAsync(Deadline);
            Assert.Equal(2, (await RunInEveryBundleAsync(three)).Distinct().Count());
        }
        finally
        {
            await _ray.RemovePlacementGroupAsync(three);
        }
    }

    [Fact]
    public async Task Spread_uses_different_nodes_and_shares_them_when_there_are_too_few()
    {
        var pg = await _ray.CreatePlacementGroupAsync(CpuBundles(4), PlacementStrategy.Spread);
        try
        {
            await pg.ReadyAsync().WaitAsync(Deadline);
            Assert.Equal(3, (await RunInEveryBundleAsync(pg)).Distinct().Count());
        }
        finally
        {
            await _ray.RemovePlacementGroupAsync(pg);
        }
    }

    [Fact]
    public async Task Any_bundle_index_runs_on_a_node_of_the_group_and_actors_live_in_their_bundle()
    {
        var pg = await _ray.CreatePlacementGroupAsync(CpuBundles(2), PlacementStrategy.StrictSpread);
        try
        {
            await pg.ReadyAsync().WaitAsync(Deadline);
            var bundleNodes = await RunInEveryBundleAsync(pg);

            // BundleIndex -1 (the default): any bundle of the group, never a node outside it.
            var anywhere = await _ray.GetAsync(Enumerable.Range(0, 20)
                .Select(_ => _ray.Task(WhereAmI).Options(new TaskOptions { PlacementGroup = pg }).Remote()), Deadline);
            Assert.All(anywhere, w => Assert.Contains(w, bundleNodes));

            var actor = _ray.Actor(() => new NodeReporter())
                .Options(new ActorOptions { NumCpus = 1, PlacementGroup = pg, BundleIndex = 1 })
                .Remote();
            Assert.Equal(bundleNodes[1], await _ray.GetAsync(actor.Task(a => a.Where()).Remote(), Deadline));
            await _ray.KillAsync(actor);

            // An actor behind a grain interface lives in its bundle too.
            for (var bundle = 0; bundle < 2; bundle++)
            {
                var grainActor = await _ray.CreateActorAsync<TestGrainActors.ICounterActor>(new ActorOptions { NumCpus = 1, PlacementGroup = pg, BundleIndex = bundle });
                Assert.Equal(bundleNodes[bundle], await grainActor.Node());
                await _ray.KillAsync(grainActor);
            }
        }
        finally
        {
            await _ray.RemovePlacementGroupAsync(pg);
        }
    }

    [Fact]
    public async Task Bundle_options_are_checked_at_Remote()
    {
        var pg = await _ray.CreatePlacementGroupAsync(CpuBundles(2), PlacementStrategy.Pack);
        try
        {
            var outOfRange = Assert.Throws<ArgumentException>(() =>
                _ray.Task(WhereAmI).Options(new TaskOptions { PlacementGroup = pg, BundleIndex = 2 }).Remote());
            Assert.Contains("BundleIndex", outOfRange.Message, StringComparison.Ordinal);
            Assert.Contains("0 to 1", outOfRange.Message, StringComparison.Ordinal);

            Assert.Throws<ArgumentException>(() =>
                _ray.Task(WhereAmI).Options(new TaskOptions { PlacementGroup = pg, BundleIndex = -2 }).Remote());

            // A task bigger than its bundle could never run: refused, naming both shapes.
            var tooBig = Assert.Throws<ArgumentException>(() =>
                _ray.Task(WhereAmI).Options(new TaskOptions { NumCpus = 2, PlacementGroup = pg, BundleIndex = 0 }).Remote());
            Assert.Contains("{\"CPU\": 2.0}", tooBig.Message, StringComparison.Ordinal);
            Assert.Contains("{\"CPU\": 1.0}", tooBig.Message, StringComparison.Ordinal);

            Assert.Throws<ArgumentException>(() =>
                _ray.Task(WhereAmI).Options(new TaskOptions { BundleIndex = 0 }).Remote());
            Assert.Throws<ArgumentException>(() =>
                _ray.Task(WhereAmI).Options(new TaskOptions { PlacementGroup = pg, SchedulingStrategy = SchedulingStrategy.Spread }).Remote());
            Assert.Throws<ArgumentException>(() =>
                _ray.Actor(() => new NodeReporter()).Options(new ActorOptions { NumCpus = 1, PlacementGroup = pg, BundleIndex = 5 }).Remote());
        }
        finally
        {
            await _ray.RemovePlacementGroupAsync(pg);
        }

        await Assert.ThrowsAsync<ArgumentException>(() => _ray.CreatePlacementGroupAsync(Array.Empty<Bundle>()));
        await Assert.ThrowsAsync<ArgumentException>(() => _ray.CreatePlacementGroupAsync(new[] { new Bundle() }));
        await Assert.ThrowsAsync<ArgumentException>(() => _ray.CreatePlacementGroupAsync(new[] { new Bundle { ["CPU"] = 0 } }));
        Assert.Throws<ArgumentException>(() => new Bundle { ["CPU"] = -1 });
    }

    [Fact]
    public async Task Any_bundle_task_larger_than_every_bundle_is_refused_at_Remote()
    {
        // Ray refuses a request that fits no single bundle; the bundles' sum would accept a task that can never run once
        // they sit on different nodes (each node holds 1 CPU of the group), so it would wait forever.
        var pg = await _ray.CreatePlacementGroupAsync(CpuBundles(2), PlacementStrategy.StrictSpread);
        try
        {
            var task = Assert.Throws<ArgumentException>(() =>
                _ray.Task(WhereAmI).Options(new TaskOptions { NumCpus = 2, PlacementGroup = pg }).Remote());
            Assert.Contains("any one bundle", task.Message, StringComparison.Ordinal);
            Assert.Throws<ArgumentException>(() =>
                _ray.Actor(() => new NodeReporter()).Options(new ActorOptions { NumCpus = 2, PlacementGroup = pg }).Remote());

            // One that fits a bundle still runs in the group.
            await pg.ReadyAsync().WaitAsync(Deadline);
            Assert.NotEmpty(await _ray.GetAsync(_ray.Task(WhereAmI).Options(new TaskOptions { PlacementGroup = pg }).Remote(), Deadline));
        }
        finally
        {
            await _ray.RemovePlacementGroupAsync(pg);
        }
    }

    [Fact]
    public async Task Actors_created_right_after_ReadyAsync_live_in_their_bundles_on_every_node()
    {
        // Nodes report their resources every second, so right after ReadyAsync the driver's node may not see the other
        // nodes' bundles yet: the actors must still go to their bundles (a trainer starts its workers just so).
        var pg = await _ray.CreatePlacementGroupAsync(CpuBundles(3), PlacementStrategy.StrictSpread);
        try
        {
            await pg.ReadyAsync().WaitAsync(Deadline);
            var actors = Enumerable.Range(0, 3)
                .Select(i => _ray.Actor(() => new NodeReporter()).Options(new ActorOptions { NumCpus = 1, PlacementGroup = pg, BundleIndex = i }).Remote())
                .ToList();
            var info = await _fixture.Cluster.Nodes[0].Runtime.GrainFactory.GetGrain<IPlacementGroupGrain>(pg.Id).GetAsync();

            var nodes = await _ray.GetAsync(actors.Select(a => a.Task(r => r.Where()).Remote()), Deadline);

            Assert.Equal(info!.BundleNodes.Select(n => n.Value), nodes);
            foreach (var actor in actors)
            {
                await _ray.KillAsync(actor);
            }
        }
        finally
        {
            await _ray.RemovePlacementGroupAsync(pg);
        }
    }

    [Fact]
    public async Task A_pending_group_is_listed_by_the_state_api_and_the_node_table_says_whether_it_can_ever_fit()
    {
        var table = _fixture.Cluster.Nodes[0].Runtime.GrainFactory.GetGrain<INodeTableGrain>(0);
        var busy = await _ray.CreatePlacementGroupAsync(Enumerable.Range(0, 3).Select(_ => new Bundle { ["CPU"] = 2 }), PlacementStrategy.StrictSpread, "busy");
        var waits = await _ray.CreatePlacementGroupAsync(CpuBundles(1), PlacementStrategy.Pack, "waits");
        var never = await _ray.CreatePlacementGroupAsync(CpuBundles(4), PlacementStrategy.StrictSpread, "never");
        try
        {
            await busy.ReadyAsync().WaitAsync(Deadline);
            IReadOnlyList<PendingPlacementGroupInfo> pending = [];
            await Eventually.TrueAsync(
                async () => (pending = await table.PendingGroupsAsync()).Count(p => p.Id == waits.Id || p.Id == never.Id) == 2,
                Deadline,
                "both groups reported pending");

            // 1 CPU fits once "busy" frees its CPUs; 4 bundles on 4 different nodes never fit 3 nodes.
            Assert.False(pending.Single(p => p.Id == waits.Id).IsInfeasible);
            var neverRow = pending.Single(p => p.Id == never.Id);
            Assert.True(neverRow.IsInfeasible);
            Assert.Contains("StrictSpread", neverRow.Reason, StringComparison.Ordinal);
            var listed = (await _ray.State.ListPlacementGroupsAsync(StateListOptions.Where("state=PENDING"))).Rows;
            Assert.Equal(new[] { "never", "waits" }, listed.Select(r => r.Name));
            Assert.All(listed, r => Assert.All(r.BundleNodes, n => Assert.Equal(string.Empty, n)));
        }
        finally
        {
            await _ray.RemovePlacementGroupAsync(never);
            await _ray.RemovePlacementGroupAsync(waits);
            await _ray.RemovePlacementGroupAsync(busy);
        }

        Assert.DoesNotContain(await table.PendingGroupsAsync(), p => p.Id == waits.Id || p.Id == never.Id);
        Assert.Empty((await _ray.State.ListPlacementGroupsAsync(StateListOptions.Where("name=never"))).Rows);
    }

    internal static Bundle[] CpuBundles(int count) => Enumerable.Range(0, count).Select(_ => new Bundle { ["CPU"] = 1 }).ToArray();

    /// <summary>Runs a task in each bundle; returns the node of each, by bundle index.</summary>
    private async Task<string[]> RunInEveryBundleAsync(PlacementGroup pg) =>
        await _ray.GetAsync(Enumerable.Range(0, pg.BundleCount)
            .Select(i => _ray.Task(WhereAmI).Options(new TaskOptions { PlacementGroup = pg, BundleIndex = i }).Remote()), Deadline);

    internal static Task WaitAllFreeAsync(IRay ray, double totalCpus) => Eventually.TrueAsync(async () =>
    {
        var free = await ray.AvailableResourcesAsync();
        var total = await ray.ClusterResourcesAsync();
        return free.GetValueOrDefault("CPU") == totalCpus && !total.Keys.Any(k => k.Contains("_group_", StringComparison.Ordinal));
    }, Deadline, $"all {totalCpus} CPUs free and no bundle reserved");
}

/// <summary>A pending group becomes ready when a node joins, and a created group whose node dies is placed again
/// (a cluster of its own: these tests add and stop nodes).</summary>
public sealed class PlacementGroupNodeChangeTests : IAsyncLifetime
{
    private InProcessCluster _cluster = null!;
    private IRay _ray = null!;

    public async Task InitializeAsync()
    {
        _cluster = await InProcessCluster.StartAsync((2, null), (2, null), (2, null));
        _ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
    }

    public async Task DisposeAsync()
    {
        await _ray.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task A_pending_group_is_placed_when_a_node_joins_and_placed_again_when_its_node_dies()
    {
        var pg = await _ray.CreatePlacementGroupAsync(PlacementGroupTests.CpuBundles(4), PlacementStrategy.StrictSpread);
        Assert.False(await pg.WaitAsync(PlacementGroupTests.PendingWatch));
        Assert.Equal(6, (await _ray.AvailableResourcesAsync()).GetValueOrDefault("CPU"));

        // A 4th node joins: the group fits, one bundle per node.
        var fourth = await _cluster.AddNodeAsync(2);
        await pg.ReadyAsync().WaitAsync(PlacementGroupTests.Deadline);
        var grain = _cluster.Nodes[0].Runtime.GrainFactory.GetGrain<IPlacementGroupGrain>(pg.Id);
        var placed = (await grain.GetAsync())!.BundleNodes;
        Assert.Equal(_cluster.Nodes.Select(n => n.NodeId).OrderBy(n => n.Value), placed.OrderBy(n => n.Value));
        var where = await _ray.GetAsync(Enumerable.Range(0, 4)
            .Select(i => _ray.Task(PlacementGroupTests.WhereAmI).Options(new TaskOptions { PlacementGroup = pg, BundleIndex = i }).Remote()), PlacementGroupTests.Deadline);
        Assert.Equal(placed.Select(n => n.Value), where);

        // The 4th node leaves: its bundle is lost, the group is pending again (three nodes cannot hold four)...
        var lostIndex = Array.IndexOf(placed, fourth.NodeId);
        await _cluster.StopNodeAsync(fourth);
        await Eventually.TrueAsync(async () => await pg.GetStateAsync() == PlacementGroupState.Pending, PlacementGroupTests.Deadline, "the group is pending after its node died");
        var afterDeath = (await grain.GetAsync())!.BundleNodes;
        Assert.Null(afterDeath[lostIndex].Value);
        Assert.Equal(3, afterDeath.Count(n => n.Value is not null));

        // ...and a new node takes the lost bundle; the others stay where they were.
        var fifth = await _cluster.AddNodeAsync(2);
        await pg.ReadyAsync().WaitAsync(PlacementGroupTests.Deadline);
        var replaced = (await grain.GetAsync())!.BundleNodes;
        Assert.Equal(fifth.NodeId, replaced[lostIndex]);
        Assert.Equal(afterDeath.Where(n => n.Value is not null), replaced.Where((_, i) => i != lostIndex));
        Assert.Equal(fifth.NodeId.Value, await _ray.GetAsync(_ray.Task(PlacementGroupTests.WhereAmI)
            .Options(new TaskOptions { PlacementGroup = pg, BundleIndex = lostIndex }).Remote(), PlacementGroupTests.Deadline));

        await _ray.RemovePlacementGroupAsync(pg);
        await PlacementGroupTests.WaitAllFreeAsync(_ray, 8);
    }

    [Fact]
    public async Task An_actor_in_a_bundle_lost_with_its_node_is_rebuilt_on_the_node_that_takes_the_bundle()
    {
        var fourth = await _cluster.AddNodeAsync(2);
        var pg = await _ray.CreatePlacementGroupAsync(PlacementGroupTests.CpuBundles(4), PlacementStrategy.StrictSpread);
        await pg.ReadyAsync().WaitAsync(PlacementGroupTests.Deadline);
        var grain = _cluster.Nodes[0].Runtime.GrainFactory.GetGrain<IPlacementGroupGrain>(pg.Id);
        var lostIndex = Array.IndexOf((await grain.GetAsync())!.BundleNodes, fourth.NodeId);
        var actor = _ray.Actor(() => new OrleansRay.Tests.Actors.Locator())
            .Options(new ActorOptions { PlacementGroup = pg, BundleIndex = lostIndex, NumCpus = 1, MaxRestarts = 1 })
            .Remote();
        // Created right after the node joined, the actor may land where the creator's view did not show the bundle yet:
        // it moves to the bundle's node.
        Assert.Equal(fourth.NodeId.Value, await _ray.GetAsync(actor.Task(a => a.Where()).Remote(), PlacementGroupTests.Deadline));

        await _cluster.StopNodeAsync(fourth);
        await Eventually.TrueAsync(async () => await pg.GetStateAsync() == PlacementGroupState.Pending, PlacementGroupTests.Deadline, "the group is pending after its node died");

        // A call rebuilds the actor on one of the three nodes left, none of which can hold its bundle...
        var call = actor.Task(a => a.Where()).Remote();
        var left = _cluster.Nodes.ToArray();
        await Eventually.TrueAsync(
            () => left.Any(n => n.Runtime.ActorServices.HostedActors.Snapshot().Any(a => a.Info.ActorId == actor.ActorId)),
            PlacementGroupTests.Deadline,
            "the actor rebuilt on a node left");

        // ...and once a new node holds the bundle, the actor moves there and answers (Ray reschedules it into the bundle).
        var fifth = await _cluster.AddNodeAsync(2);
        await pg.ReadyAsync().WaitAsync(PlacementGroupTests.Deadline);
        Assert.Equal(fifth.NodeId.Value, await _ray.GetAsync(call, PlacementGroupTests.Deadline));
        Assert.Equal(fifth.NodeId.Value, await _ray.GetAsync(actor.Task(a => a.Where()).Remote(), PlacementGroupTests.Deadline));

        await _ray.RemovePlacementGroupAsync(pg);
        await PlacementGroupTests.WaitAllFreeAsync(_ray, 8);
    }
}

/// <summary>Placement groups on the embedded single node (4 CPUs).</summary>
[Collection(RayCollection.Name)]
public sealed class EmbeddedPlacementGroupTests
{
    private readonly IRay _ray;

    public EmbeddedPlacementGroupTests(RayFixture fixture) => _ray = fixture.Ray;

    [Fact]
    public async Task A_two_bundle_pack_group_works_on_one_node()
    {
        var pg = await _ray.CreatePlacementGroupAsync(new[] { new Bundle { ["CPU"] = 1 }, new Bundle { ["CPU"] = 1 } }, PlacementStrategy.Pack);
        try
        {
            await pg.ReadyAsync().WaitAsync(PlacementGroupTests.Deadline);
            Assert.Equal(2, (await _ray.AvailableResourcesAsync()).GetValueOrDefault("CPU"));

            var squares = await _ray.GetAsync(Enumerable.Range(0, 10)
                .Select(i => _ray.Task(Square, i).Options(new TaskOptions { PlacementGroup = pg, BundleIndex = i % 2 }).Remote()), PlacementGroupTests.Deadline);
            Assert.Equal(Enumerable.Range(0, 10).Select(i => i * i), squares);

            var actor = _ray.Actor(() => new NodeReporter()).Options(new ActorOptions { NumCpus = 1, PlacementGroup = pg, BundleIndex = 0 }).Remote();
            Assert.Equal(_ray.NodeId.Value, await _ray.GetAsync(actor.Task(a => a.Where()).Remote(), PlacementGroupTests.Deadline));
            await _ray.KillAsync(actor);

            // StrictSpread needs two nodes: on one node it stays pending.
            var spread = await _ray.CreatePlacementGroupAsync(PlacementGroupTests.CpuBundles(2), PlacementStrategy.StrictSpread);
            Assert.False(await spread.WaitAsync(TimeSpan.FromSeconds(1)));
            await _ray.RemovePlacementGroupAsync(spread);
        }
        finally
        {
            await _ray.RemovePlacementGroupAsync(pg);
        }

        Assert.Equal(4, (await _ray.AvailableResourcesAsync()).GetValueOrDefault("CPU"));
        Assert.DoesNotContain((await _ray.ClusterResourcesAsync()).Keys, k => k.Contains("_group_", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_api_md_sample_runs_as_written()
    {
        IRay ray = _ray;
        PlacementGroup pg = await ray.CreatePlacementGroupAsync(
            new[] { new Bundle { ["CPU"] = 1 }, new Bundle { ["CPU"] = 1 } }, PlacementStrategy.Spread);
        await pg.ReadyAsync();
        ObjectRef<int> four = ray.Task(Square, 2).Options(new TaskOptions { PlacementGroup = pg, BundleIndex = 0 }).Remote();
        Assert.Equal(4, await four);
        await ray.RemovePlacementGroupAsync(pg);
        Assert.Equal(PlacementGroupState.Removed, await pg.GetStateAsync());
    }

    public static int Square(int x) => x * x;
}

/// <summary>An actor that tells where it lives.</summary>
public sealed class NodeReporter
{
    public string Where() => RayContext.NodeId.Value;
}

/// <summary>The control store's bundle planner on its own: Ray's strategies over a given view of free resources.</summary>
public sealed class BundlePlannerTests
{
    private static readonly Dictionary<int, NodeId> NonePlaced = new();

    private static ResourceSet Shape(double cpu, double gpu = 0) =>
        ResourceSet.From(new Dictionary<string, double> { ["CPU"] = cpu, ["GPU"] = gpu });

    private static List<OrleansRay.ControlStore.BundlePlanner.NodeRoom> Nodes(params (string Id, double Cpu, double Gpu)[] nodes) =>
        nodes.Select(n => new OrleansRay.ControlStore.BundlePlanner.NodeRoom(new NodeId(n.Id), Shape(n.Cpu, n.Gpu), Shape(n.Cpu, n.Gpu))).ToList();

    private static List<(int, ResourceSet)> Bundles(params ResourceSet[] shapes) => shapes.Select((s, i) => (i, s)).ToList();

    [Fact]
    public void StrictSpread_finds_the_one_assignment_a_greedy_pick_would_miss()
    {
        // The big CPU bundle goes first and fits on both nodes; on "b" it would strand the accel bundle, which only "b"
        // can hold: the search takes it back and puts it on "a".
        var accel = ResourceSet.From(new Dictionary<string, double> { ["CPU"] = 1, ["accel"] = 1 });
        var withAccel = ResourceSet.From(new Dictionary<string, double> { ["CPU"] = 2, ["accel"] = 1 });
        var nodes = new List<OrleansRay.ControlStore.BundlePlanner.NodeRoom>
        {
            new(new NodeId("b"), withAccel, withAccel),
            new(new NodeId("a"), Shape(2), Shape(2)),
        };
        var (plan, reason) = OrleansRay.ControlStore.BundlePlanner.Plan(PlacementGroupStrategy.StrictSpread, Bundles(Shape(2), accel), NonePlaced, nodes);
        Assert.True(plan is not null, reason);
        Assert.Equal("a", plan[0].Value);
        Assert.Equal("b", plan[1].Value);
    }

    [Fact]
    public void StrictSpread_keeps_clear_of_nodes_that_hold_bundles_already()
    {
        var nodes = Nodes(("a", 2, 0), ("b", 2, 0), ("c", 2, 0));
        var placed = new Dictionary<int, NodeId> { [0] = new("a"), [1] = new("b") };
        var (plan, _) = OrleansRay.ControlStore.BundlePlanner.Plan(PlacementGroupStrategy.StrictSpread, new List<(int, ResourceSet)> { (2, Shape(1)) }, placed, nodes);
        Assert.Equal("c", plan![2].Value);

        var (none, reason) = OrleansRay.ControlStore.BundlePlanner.Plan(PlacementGroupStrategy.StrictSpread, new List<(int, ResourceSet)> { (2, Shape(1)), (3, Shape(1)) }, placed, Nodes(("a", 2, 0), ("b", 2, 0), ("c", 2, 0)));
        Assert.Null(none);
        Assert.Contains("StrictSpread", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Pack_fills_a_node_before_opening_another_and_Spread_balances()
    {
        var (pack, _) = OrleansRay.ControlStore.BundlePlanner.Plan(PlacementGroupStrategy.Pack, Bundles(Shape(1), Shape(1), Shape(1)), NonePlaced, Nodes(("a", 2, 0), ("b", 2, 0), ("c", 2, 0)));
        Assert.Equal(2, pack!.Values.Distinct().Count());

        var (spread, _) = OrleansRay.ControlStore.BundlePlanner.Plan(PlacementGroupStrategy.Spread, Bundles(Shape(1), Shape(1), Shape(1), Shape(1)), NonePlaced, Nodes(("a", 2, 0), ("b", 2, 0), ("c", 2, 0)));
        Assert.Equal(3, spread!.Values.Distinct().Count());
        Assert.Equal(2, spread.Values.GroupBy(v => v).Max(g => g.Count()));

        var (strictPack, reason) = OrleansRay.ControlStore.BundlePlanner.Plan(PlacementGroupStrategy.StrictPack, Bundles(Shape(2), Shape(1)), NonePlaced, Nodes(("a", 2, 0), ("b", 2, 0)));
        Assert.Null(strictPack);
        Assert.Contains("in total", reason, StringComparison.Ordinal);
    }
}
