using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>Named placement groups as Ray has them: a name is unique among the live groups of a namespace, found with
/// <see cref="IRay.GetPlacementGroupAsync"/>, and free again once its group is removed; and pending groups are pending
/// demands (<see cref="IRay.PendingDemandsAsync"/>). On 3 nodes of 2 CPUs through a connected driver.</summary>
public sealed class PlacementGroupNameTests : IClassFixture<ThreeNodeClusterFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Deadline = PlacementGroupTests.Deadline;

    private readonly ThreeNodeClusterFixture _fixture;
    private readonly IRay _ray;

    public PlacementGroupNameTests(ThreeNodeClusterFixture fixture)
    {
        _fixture = fixture;
        _ray = fixture.Ray;
    }

    public Task InitializeAsync() => PlacementGroupTests.WaitAllFreeAsync(_ray, 6);

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>Looks a group up by name from inside a task (the task's namespace is its driver's).</summary>
    public static async Task<string> FindGroupId(string name) => (await Ray.Current.GetPlacementGroupAsync(name)).Id.ToString("N");

    [Fact]
    public async Task A_name_taken_by_a_live_group_is_refused_and_the_message_says_what_to_do()
    {
        var name = Unique("dup");
        var first = await _ray.CreatePlacementGroupAsync(PlacementGroupTests.CpuBundles(1), PlacementStrategy.Pack, name);
        try
        {
            var ex = await Assert.ThrowsAsync<ArgumentException>(
                () => _ray.CreatePlacementGroupAsync(PlacementGroupTests.CpuBundles(2), PlacementStrategy.Spread, name));
            Assert.Contains($"named '{name}' already exists in namespace '{_ray.Namespace}'", ex.Message, StringComparison.Ordinal);
            Assert.Contains($"GetPlacementGroupAsync(\"{name}\")", ex.Message, StringComparison.Ordinal);
            Assert.Contains("RemovePlacementGroupAsync", ex.Message, StringComparison.Ordinal);

            // The refused creation left no group behind: the name still finds the first, and only its CPU is reserved.
            Assert.Equal(first.Id, (await _ray.GetPlacementGroupAsync(name)).Id);
            await first.ReadyAsync().WaitAsync(Deadline);
            await Eventually.TrueAsync(async () => (await _ray.AvailableResourcesAsync()).GetValueOrDefault("CPU") == 5, Deadline, "only the first group's bundle is reserved");

            // Names are per namespace: a driver of another namespace may use it, and does not see this one's.
            await using var other = await Ray.InitAsync(new RayOptions { Address = _fixture.Cluster.Address, AuthToken = _fixture.Cluster.AuthToken, Namespace = Unique("ns") });
            await Assert.ThrowsAsync<PlacementGroupNotFoundException>(() => other.GetPlacementGroupAsync(name));
            var theirs = await other.CreatePlacementGroupAsync(PlacementGroupTests.CpuBundles(1), PlacementStrategy.Pack, name);
            Assert.Equal(theirs.Id, (await other.GetPlacementGroupAsync(name)).Id);
            Assert.Equal(first.Id, (await _ray.GetPlacementGroupAsync(name)).Id);
            await other.RemovePlacementGroupAsync(theirs);
        }
        finally
        {
            await _ray.RemovePlacementGroupAsync(first);
        }
    }

    [Fact]
    public async Task Of_concurrent_creations_with_one_name_exactly_one_succeeds()
    {
        var name = Unique("race");
        const int Creators = 8;
        var attempts = Enumerable.Range(0, Creators)
            .Select(_ => Task.Run(() => _ray.CreatePlacementGroupAsync([new Bundle { ["CPU"] = 0.1 }], PlacementStrategy.Pack, name)))
            .ToList();
        try
        {
            await Task.WhenAll(attempts);
        }
        catch (ArgumentException)
        {
            // Expected for all but one; each attempt is inspected below.
        }

        var won = attempts.Where(a => a.IsCompletedSuccessfully).Select(a => a.Result).ToList();
        try
        {
            var winner = Assert.Single(won);
            Assert.All(attempts.Where(a => !a.IsCompletedSuccessfully), a => Assert.IsType<ArgumentException>(a.Exception!.InnerException));
            Assert.Equal(winner.Id, (await _ray.GetPlacementGroupAsync(name)).Id);

            // Only the winner reserves anything: the losers recorded no group.
            await winner.ReadyAsync().WaitAsync(Deadline);
            await Eventually.TrueAsync(async () => Math.Abs((await _ray.AvailableResourcesAsync()).GetValueOrDefault("CPU") - 5.9) < 1e-6, Deadline, "one bundle of 0.1 CPU is reserved");
        }
        finally
        {
            foreach (var group in won)
            {
                await _ray.RemovePlacementGroupAsync(group);
            }
        }
    }

    [Fact]
    public async Task A_group_found_by_name_is_the_group_and_runs_tasks_in_its_bundles()
    {
        var name = Unique("found");
        var created = await _ray.CreatePlacementGroupAsync(PlacementGroupTests.CpuBundles(3), PlacementStrategy.StrictSpread, name);
        try
        {
            var found = await _ray.GetPlacementGroupAsync(name);
            Assert.Equal(created, found);
            Assert.Equal(name, found.Name);
            Assert.Equal(PlacementStrategy.StrictSpread, found.Strategy);
            Assert.Equal(3, found.BundleCount);
            Assert.Equal(1, found.Bundles[2]["CPU"]);

            await found.ReadyAsync().WaitAsync(Deadline);
            var where = await _ray.GetAsync(Enumerable.Range(0, 3)
                .Select(i => _ray.Task(PlacementGroupTests.WhereAmI).Options(new TaskOptions { PlacementGroup = found, BundleIndex = i }).Remote()), Deadline);
            Assert.Equal(_fixture.Cluster.Nodes.Select(n => n.NodeId.Value).Order(StringComparer.Ordinal), where.Order(StringComparer.Ordinal));

            // A task finds it too, in its driver's namespace.
            Assert.Equal(created.Id.ToString("N"), await _ray.GetAsync(_ray.Task(FindGroupId, name).Options(new TaskOptions { NumCpus = 0 }).Remote(), Deadline));
        }
        finally
        {
            await _ray.RemovePlacementGroupAsync(created);
        }
    }

    [Fact]
    public async Task GetPlacementGroupAsync_of_an_unknown_name_throws_PlacementGroupNotFoundException()
    {
        var name = Unique("nobody");
        var ex = await Assert.ThrowsAsync<PlacementGroupNotFoundException>(() => _ray.GetPlacementGroupAsync(name));
        Assert.Contains($"No placement group is named '{name}' in namespace '{_ray.Namespace}'", ex.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<RayException>(ex);

        foreach (var bad in new[] { null, string.Empty, "  " })
        {
            var invalid = await Assert.ThrowsAsync<ArgumentException>(() => _ray.GetPlacementGroupAsync(bad!));
            Assert.Equal("name", invalid.ParamName);
        }
    }

    [Fact]
    public async Task A_removed_groups_name_is_not_found_and_can_be_used_again()
    {
        var name = Unique("reuse");
        var first = await _ray.CreatePlacementGroupAsync(PlacementGroupTests.CpuBundles(1), PlacementStrategy.Pack, name);
        await _ray.RemovePlacementGroupAsync(first);
        await Assert.ThrowsAsync<PlacementGroupNotFoundException>(() => _ray.GetPlacementGroupAsync(name));

        var second = await _ray.CreatePlacementGroupAsync(PlacementGroupTests.CpuBundles(2), PlacementStrategy.Spread, name);
        try
        {
            Assert.NotEqual(first.Id, second.Id);
            var found = await _ray.GetPlacementGroupAsync(name);
            Assert.Equal(second.Id, found.Id);
            Assert.Equal(2, found.BundleCount);
            await found.ReadyAsync().WaitAsync(Deadline);
        }
        finally
        {
            await _ray.RemovePlacementGroupAsync(second);
        }

        await Assert.ThrowsAsync<PlacementGroupNotFoundException>(() => _ray.GetPlacementGroupAsync(name));
    }

    [Fact]
    public async Task A_pending_group_is_a_pending_demand_until_it_is_placed_or_removed()
    {
        // "busy" holds every CPU; "waits" fits once it is gone; "never" (4 bundles on 4 different nodes) fits no 3 nodes.
        var busy = await _ray.CreatePlacementGroupAsync(Enumerable.Range(0, 3).Select(_ => new Bundle { ["CPU"] = 2 }), PlacementStrategy.StrictSpread);
        await busy.ReadyAsync().WaitAsync(Deadline);
        var waits = await _ray.CreatePlacementGroupAsync([new Bundle { ["CPU"] = 1 }, new Bundle { ["CPU"] = 0.5 }], PlacementStrategy.Pack, Unique("waits"));
        var never = await _ray.CreatePlacementGroupAsync(PlacementGroupTests.CpuBundles(4), PlacementStrategy.StrictSpread);
        try
        {
            IReadOnlyList<ResourceDemand> demands = [];
            await Eventually.TrueAsync(
                async () => (demands = await _ray.PendingDemandsAsync()).Count(d => d.IsPlacementGroup) == 2,
                Deadline,
                "both pending groups are pending demands");

            var waiting = Assert.Single(demands, d => d.Strategy == PlacementStrategy.Pack);
            Assert.False(waiting.IsInfeasible);
            Assert.False(waiting.IsActor);
            Assert.Equal(1, waiting.Count);
            Assert.Equal(1.5, waiting.Shape["CPU"]);
            Assert.Equal(new[] { 1.0, 0.5 }, waiting.Bundles!.Select(b => b["CPU"]));

            var infeasible = Assert.Single(demands, d => d.Strategy == PlacementStrategy.StrictSpread);
            Assert.True(infeasible.IsInfeasible);
            Assert.Equal(4, infeasible.Bundles!.Count);
            Assert.Equal("{\"CPU\": 1.0} * 4 (STRICT_SPREAD) ×1 placement group, infeasible", infeasible.ToString());

            // "busy" goes: "waits" is placed and is no demand any more; "never" still is.
            await _ray.RemovePlacementGroupAsync(busy);
            await waits.ReadyAsync().WaitAsync(Deadline);
            await Eventually.TrueAsync(
                async () => (demands = await _ray.PendingDemandsAsync()).Count(d => d.IsPlacementGroup) == 1,
                Deadline,
                "the placed group is no pending demand");
            Assert.Equal(PlacementStrategy.StrictSpread, Assert.Single(demands, d => d.IsPlacementGroup).Strategy);

            await _ray.RemovePlacementGroupAsync(never);
            await Eventually.TrueAsync(
                async () => !(await _ray.PendingDemandsAsync()).Any(d => d.IsPlacementGroup),
                Deadline,
                "the removed group is no pending demand");
        }
        finally
        {
            await _ray.RemovePlacementGroupAsync(never);
            await _ray.RemovePlacementGroupAsync(waits);
            await _ray.RemovePlacementGroupAsync(busy);
        }
    }

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}";
}
