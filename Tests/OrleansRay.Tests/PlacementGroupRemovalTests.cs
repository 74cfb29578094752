using System.Collections.Concurrent;
using OrleansRay.Grains;
using OrleansRay.Internal;
using OrleansRay.Tests.Actors;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>Functions the removal tests run in a group's bundles: one that waits for its cancellation, counting its runs.</summary>
public static class RemovalProbes
{
    private static readonly ConcurrentDictionary<string, TaskCompletionSource> StartedByKey = new();
    private static readonly ConcurrentDictionary<string, int> RunsByKey = new();

    /// <summary>Completes once a run of <see cref="WaitForCancellation"/> with <paramref name="key"/> started.</summary>
    public static Task Started(string key) => StartedByKey.GetOrAdd(key, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>How many runs of <see cref="WaitForCancellation"/> with <paramref name="key"/> started.</summary>
    public static int Runs(string key) => RunsByKey.GetValueOrDefault(key);

    /// <summary>Waits (at most the tests' deadline) for the task's cancellation; says whether it came.</summary>
    public static string WaitForCancellation(string key)
    {
        RunsByKey.AddOrUpdate(key, 1, (_, n) => n + 1);
        StartedByKey.GetOrAdd(key, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        return RayContext.CancellationToken.WaitHandle.WaitOne(PlacementGroupTests.Deadline) ? "cancelled" : "never cancelled";
    }

    public static int Square(int x) => x * x;
}

/// <summary>An embedded node of 2 CPUs of its own, shared by the removal tests of a class: they look at its whole CPU.</summary>
public sealed class TwoCpuNodeFixture : IAsyncLifetime
{
    public IRay Ray { get; private set; } = null!;

    public async Task InitializeAsync() => Ray = await OrleansRay.Ray.InitAsync(new RayOptions { NumCpus = 2, Namespace = "pg-removal" });

    public async Task DisposeAsync() => await Ray.DisposeAsync();
}

/// <summary>Removing a placement group (Ray's <c>remove_placement_group</c>) on one embedded node: its actors are killed
/// and its tasks cancelled, each error naming the group; its resources come back once, when those are gone; work
/// submitted to it afterwards, or while it was pending, fails instead of waiting.</summary>
public sealed class EmbeddedPlacementGroupRemovalTests : IClassFixture<TwoCpuNodeFixture>, IAsyncLifetime
{
    private readonly IRay _ray;

    public EmbeddedPlacementGroupRemovalTests(TwoCpuNodeFixture fixture) => _ray = fixture.Ray;

    public Task InitializeAsync() => PlacementGroupTests.WaitAllFreeAsync(_ray, 2);

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>The node's own free CPUs now (its ledger, not the node table's copy of it).</summary>
    private double LedgerCpus() => IRayRuntimeAccess.Of(_ray).Scheduler.Resources.Available().ToDictionary().GetValueOrDefault("CPU");

    [Fact]
    public async Task Removal_kills_the_groups_actor_and_frees_its_resources_exactly_once()
    {
        var pg = await _ray.CreatePlacementGroupAsync(new[] { new Bundle { ["CPU"] = 2 } });
        await pg.ReadyAsync().WaitAsync(PlacementGroupTests.Deadline);
        var actor = _ray.Actor(() => new Counter(0)).Options(new ActorOptions { PlacementGroup = pg, BundleIndex = 0, NumCpus = 2 }).Remote();
        Assert.Equal(1, await _ray.GetAsync(actor.Task(c => c.Increment()).Remote(), PlacementGroupTests.Deadline));
        Assert.Equal(0, LedgerCpus());

        await _ray.RemovePlacementGroupAsync(pg);

        // Dead, for good: its next call fails saying why.
        var died = await Assert.ThrowsAsync<ActorDiedException>(async () => await _ray.GetAsync(actor.Task(c => c.Increment()).Remote(), PlacementGroupTests.Deadline));
        Assert.Contains($"placement group {pg.Id:N} was removed", died.Message, StringComparison.Ordinal);

        // Its 2 CPUs came back once: the node has its 2, not 4 (the bundle's and the actor's both given back).
        Assert.Equal(2, LedgerCpus());
        await PlacementGroupTests.WaitAllFreeAsync(_ray, 2);
        Assert.Equal(2, (await _ray.AvailableResourcesAsync())["CPU"]);
        Assert.Equal(2, (await _ray.ClusterResourcesAsync())["CPU"]);
    }

    [Fact]
    public async Task A_running_task_of_the_group_is_cancelled_naming_the_group_and_not_run_again()
    {
        var pg = await _ray.CreatePlacementGroupAsync(new[] { new Bundle { ["CPU"] = 1 } });
        await pg.ReadyAsync().WaitAsync(PlacementGroupTests.Deadline);
        var key = Guid.NewGuid().ToString("N");
        var running = _ray.Task(RemovalProbes.WaitForCancellation, key)
            .Options(new TaskOptions { PlacementGroup = pg, BundleIndex = 0, MaxRetries = 3 }).Remote();
        await RemovalProbes.Started(key).WaitAsync(PlacementGroupTests.Deadline);

        await _ray.RemovePlacementGroupAsync(pg);

        var cancelled = await Assert.ThrowsAsync<TaskCancelledException>(async () => await _ray.GetAsync(running, PlacementGroupTests.Deadline));
        Assert.Contains($"placement group {pg.Id:N} was removed", cancelled.Message, StringComparison.Ordinal);
        Assert.Equal(2, LedgerCpus()); // the bundle's CPU is back, the task's share of it not counted again
        Assert.Equal(1, RemovalProbes.Runs(key)); // not retried (MaxRetries = 3), in the removed group or anywhere
        await PlacementGroupTests.WaitAllFreeAsync(_ray, 2);
    }

    [Fact]
    public async Task Work_submitted_after_removal_fails_at_once_naming_the_group()
    {
        var pg = await _ray.CreatePlacementGroupAsync(new[] { new Bundle { ["CPU"] = 1 } });
        await pg.ReadyAsync().WaitAsync(PlacementGroupTests.Deadline);
        await _ray.RemovePlacementGroupAsync(pg);

        // A task: its ref fails (long before the Get's timeout), and no demand for the group's bundle is left waiting.
        var task = _ray.Task(RemovalProbes.Square, 3).Options(new TaskOptions { PlacementGroup = pg, BundleIndex = 0 }).Remote();
        var cancelled = await Assert.ThrowsAsync<TaskCancelledException>(async () => await _ray.GetAsync(task, PlacementGroupTests.Deadline));
        Assert.Contains($"placement group {pg.Id:N} was removed", cancelled.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(await _ray.PendingDemandsAsync(), d => d.Shape.Keys.Any(k => k.Contains(pg.Id.ToString("N"), StringComparison.Ordinal)));

        // Actors, with resources or with none (which hold no bundle to miss): refused, their calls failing the same way.
        foreach (var cpus in new[] { 1.0, 0.0 })
        {
            var actor = _ray.Actor(() => new Counter(0)).Options(new ActorOptions { PlacementGroup = pg, BundleIndex = 0, NumCpus = cpus }).Remote();
            var refused = await Assert.ThrowsAsync<ActorDiedException>(async () => await _ray.GetAsync(actor.Task(c => c.Increment()).Remote(), PlacementGroupTests.Deadline));
            Assert.Contains($"placement group {pg.Id:N} was removed", refused.Message, StringComparison.Ordinal);
        }

        Assert.Equal(2, LedgerCpus());
    }

    [Fact]
    public async Task Work_waiting_for_a_pending_group_fails_when_the_group_is_removed()
    {
        // 4 CPUs in one bundle never fit this 2-CPU node: the group stays pending, and its work waits for it.
        var pg = await _ray.CreatePlacementGroupAsync(new[] { new Bundle { ["CPU"] = 4 } });
        Assert.Equal(PlacementGroupState.Pending, await pg.GetStateAsync());
        var task = _ray.Task(RemovalProbes.Square, 3).Options(new TaskOptions { PlacementGroup = pg, BundleIndex = 0 }).Remote();
        var actor = _ray.Actor(() => new Counter(0)).Options(new ActorOptions { PlacementGroup = pg, BundleIndex = 0, NumCpus = 1 }).Remote();
        var call = actor.Task(c => c.Increment()).Remote();
        await Eventually.TrueAsync(
            async () => (await _ray.PendingDemandsAsync()).Count(d => d.Shape.Keys.Any(k => k.Contains(pg.Id.ToString("N"), StringComparison.Ordinal))) == 2,
            PlacementGroupTests.Deadline,
            "the task and the actor wait for the pending group's bundle");

        await _ray.RemovePlacementGroupAsync(pg);

        var cancelled = await Assert.ThrowsAsync<TaskCancelledException>(async () => await _ray.GetAsync(task, PlacementGroupTests.Deadline));
        Assert.Contains($"placement group {pg.Id:N} was removed", cancelled.Message, StringComparison.Ordinal);
        var died = await Assert.ThrowsAsync<ActorDiedException>(async () => await _ray.GetAsync(call, PlacementGroupTests.Deadline));
        Assert.Contains($"placement group {pg.Id:N} was removed", died.Message, StringComparison.Ordinal);
        await Eventually.TrueAsync(
            async () => !(await _ray.PendingDemandsAsync()).Any(d => d.Shape.Keys.Any(k => k.Contains(pg.Id.ToString("N"), StringComparison.Ordinal))),
            PlacementGroupTests.Deadline,
            "no demand for the removed group's bundle is left");
        Assert.Equal(2, LedgerCpus());
    }
}

/// <summary>Removal on three nodes through a connected driver: the group's bundles sit on other nodes than the driver's,
/// and its work ends on each of them.</summary>
public sealed class ClusterPlacementGroupRemovalTests : IClassFixture<ThreeNodeClusterFixture>, IAsyncLifetime
{
    private readonly ThreeNodeClusterFixture _fixture;
    private readonly IRay _ray;

    public ClusterPlacementGroupRemovalTests(ThreeNodeClusterFixture fixture)
    {
        _fixture = fixture;
        _ray = fixture.Ray;
    }

    public Task InitializeAsync() => PlacementGroupTests.WaitAllFreeAsync(_ray, 6);

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Removal_kills_the_groups_actors_on_their_nodes_and_frees_their_resources_exactly_once()
    {
        var pg = await _ray.CreatePlacementGroupAsync(new[] { new Bundle { ["CPU"] = 2 }, new Bundle { ["CPU"] = 2 } }, PlacementStrategy.StrictSpread);
        await pg.ReadyAsync().WaitAsync(PlacementGroupTests.Deadline);
        var info = await _fixture.Cluster.Nodes[0].Runtime.GrainFactory.GetGrain<IPlacementGroupGrain>(pg.Id).GetAsync();
        var actors = Enumerable.Range(0, 2)
            .Select(i => _ray.Actor(() => new Counter(0)).Options(new ActorOptions { PlacementGroup = pg, BundleIndex = i, NumCpus = 2 }).Remote())
            .ToList();
        Assert.Equal(new[] { 1, 1 }, await _ray.GetAsync(actors.Select(a => a.Task(c => c.Increment()).Remote()), PlacementGroupTests.Deadline));
        var holders = _fixture.Cluster.Nodes.Where(n => info!.BundleNodes.Contains(n.NodeId)).ToList();
        Assert.Equal(2, holders.Count);

        await _ray.RemovePlacementGroupAsync(pg);

        foreach (var actor in actors)
        {
            var died = await Assert.ThrowsAsync<ActorDiedException>(async () => await _ray.GetAsync(actor.Task(c => c.Increment()).Remote(), PlacementGroupTests.Deadline));
            Assert.Contains($"placement group {pg.Id:N} was removed", died.Message, StringComparison.Ordinal);
        }

        // Each node holding a bundle has its own 2 CPUs back, no more; the cluster shows its 6, no more.
        Assert.All(_fixture.Cluster.Nodes, n => Assert.Equal(2, n.Runtime.Scheduler.Resources.Available().ToDictionary().GetValueOrDefault("CPU")));
        await PlacementGroupTests.WaitAllFreeAsync(_ray, 6);
        Assert.Equal(6, (await _ray.AvailableResourcesAsync())["CPU"]);
    }

    [Fact]
    public async Task A_task_running_on_another_node_is_cancelled_and_later_work_fails_at_once()
    {
        var pg = await _ray.CreatePlacementGroupAsync(new[] { new Bundle { ["CPU"] = 1 } });
        await pg.ReadyAsync().WaitAsync(PlacementGroupTests.Deadline);
        var key = Guid.NewGuid().ToString("N");
        var running = _ray.Task(RemovalProbes.WaitForCancellation, key).Options(new TaskOptions { PlacementGroup = pg, BundleIndex = 0 }).Remote();
        await RemovalProbes.Started(key).WaitAsync(PlacementGroupTests.Deadline);

        await _ray.RemovePlacementGroupAsync(pg);

        var cancelled = await Assert.ThrowsAsync<TaskCancelledException>(async () => await _ray.GetAsync(running, PlacementGroupTests.Deadline));
        Assert.Contains($"placement group {pg.Id:N} was removed", cancelled.Message, StringComparison.Ordinal);
        Assert.Equal(1, RemovalProbes.Runs(key));

        var later = _ray.Task(RemovalProbes.Square, 2).Options(new TaskOptions { PlacementGroup = pg, BundleIndex = 0 }).Remote();
        var refused = await Assert.ThrowsAsync<TaskCancelledException>(async () => await _ray.GetAsync(later, PlacementGroupTests.Deadline));
        Assert.Contains($"placement group {pg.Id:N} was removed", refused.Message, StringComparison.Ordinal);
        await PlacementGroupTests.WaitAllFreeAsync(_ray, 6);
    }

    [Fact]
    public async Task Work_waiting_for_a_pending_group_fails_when_another_process_removes_it()
    {
        // Four bundles on four different nodes never fit three: the driver's task waits (parked) for the group.
        var pg = await _ray.CreatePlacementGroupAsync(PlacementGroupTests.CpuBundles(4), PlacementStrategy.StrictSpread);
        Assert.Equal(PlacementGroupState.Pending, await pg.GetStateAsync());
        var task = _ray.Task(RemovalProbes.Square, 3).Options(new TaskOptions { PlacementGroup = pg, BundleIndex = 0 }).Remote();
        await Eventually.TrueAsync(
            async () => (await _ray.PendingDemandsAsync()).Any(d => d.Shape.Keys.Any(k => k.Contains(pg.Id.ToString("N"), StringComparison.Ordinal))),
            PlacementGroupTests.Deadline,
            "the task waits for the pending group");

        // Removed by a node's runtime, not by this driver: the driver finds out by asking about the group it waits for.
        await _fixture.Cluster.Nodes[1].Runtime.GrainFactory.GetGrain<IPlacementGroupGrain>(pg.Id).RemoveAsync();

        var cancelled = await Assert.ThrowsAsync<TaskCancelledException>(async () => await _ray.GetAsync(task, PlacementGroupTests.Deadline));
        Assert.Contains($"placement group {pg.Id:N} was removed", cancelled.Message, StringComparison.Ordinal);
        Assert.Equal(PlacementGroupState.Removed, await pg.GetStateAsync());
    }
}
