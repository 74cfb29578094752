using OrleansRay.Cluster.TestApp;
using OrleansRay.Cluster.Tests.Fixtures;
using OrleansRay.Tests.Processes;
using Xunit;

namespace OrleansRay.Cluster.Tests.Drivers;

/// <summary>Placement groups on the shared 3-node cluster: StrictSpread of 3 bundles lands one per node, a 4th bundle
/// keeps it pending, removal frees the resources.</summary>
[Collection(ClusterCollection.Name)]
public sealed class PlacementGroupTests : IAsyncLifetime
{
    private readonly SharedCluster _shared;

    public PlacementGroupTests(SharedCluster shared)
    {
        _shared = shared;
    }

    public Task InitializeAsync() => _shared.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task StrictSpread_of_three_bundles_lands_one_per_node_and_removal_frees_the_cpus()
    {
        await using var ray = await Driver.ConnectAsync(_shared.Cluster);
        var total = (await ray.ClusterResourcesAsync())["CPU"];

        var pg = await ray.CreatePlacementGroupAsync(Bundles(3), PlacementStrategy.StrictSpread);
        await ReadyAsync(pg).WaitAsync(TimeSpan.FromSeconds(30));

        var refs = Enumerable.Range(0, 3)
            .Select(i => ray.Task(Work.WhereAmI).Options(new TaskOptions { PlacementGroup = pg, BundleIndex = i }).Remote())
            .ToList();
        var nodes = await ray.GetAsync(refs, TimeSpan.FromSeconds(30));
        Assert.Equal(3, nodes.Distinct(StringComparer.Ordinal).Count());
        Assert.True((await Driver.AliveNodeIdsAsync(ray)).SetEquals(nodes), $"bundles ran on {string.Join(", ", nodes)}");
        // The bundles hold their CPUs while the group lives.
        Assert.True((await ray.AvailableResourcesAsync()).GetValueOrDefault("CPU") <= total - 3);

        await ray.RemovePlacementGroupAsync(pg);

        await Poll.UntilAsync(
            async () => (await ray.AvailableResourcesAsync()).GetValueOrDefault("CPU") == total,
            TimeSpan.FromSeconds(15),
            $"AvailableResourcesAsync to show all {total} CPUs free after the removal");
    }

    [Fact]
    public async Task StrictSpread_of_four_bundles_on_three_nodes_stays_pending()
    {
        await using var ray = await Driver.ConnectAsync(_shared.Cluster);
        var total = (await ray.ClusterResourcesAsync())["CPU"];

        var pg = await ray.CreatePlacementGroupAsync(Bundles(4), PlacementStrategy.StrictSpread);

        // Three nodes cannot hold four bundles on four different nodes: ReadyAsync must not complete.
        await Assert.ThrowsAsync<TimeoutException>(() => ReadyAsync(pg).WaitAsync(TimeSpan.FromSeconds(3)));
        // All or nothing: no bundle of the pending group holds a CPU.
        Assert.Equal(total, (await ray.AvailableResourcesAsync()).GetValueOrDefault("CPU"));
        await ray.RemovePlacementGroupAsync(pg);
    }

    private static Bundle[] Bundles(int count) => Enumerable.Range(0, count).Select(_ => new Bundle { ["CPU"] = 1 }).ToArray();

    // ReadyAsync as a Task whatever awaitable it returns.
    private static async Task ReadyAsync(PlacementGroup pg) => await pg.ReadyAsync();
}
