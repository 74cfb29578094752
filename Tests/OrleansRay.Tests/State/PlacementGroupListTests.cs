using Xunit;

namespace OrleansRay.Tests;

/// <summary>The state API lists a placement group as soon as it is ready on an embedded node: its bundles are read from
/// the node itself, not only from the node's last report to the node table (which came up to a refresh later).</summary>
public sealed class PlacementGroupListTests
{
    [Fact]
    public async Task A_group_is_listed_CREATED_as_soon_as_it_is_ready()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { NumCpus = 2, ObjectStoreMemory = 0, Namespace = "pg-list" });
        var group = await ray.CreatePlacementGroupAsync([new Bundle { ["CPU"] = 1 }], PlacementStrategy.Pack, "listed-at-once");
        await group.ReadyAsync().WaitAsync(TimeSpan.FromSeconds(30));

        var rows = (await ray.State.ListPlacementGroupsAsync(StateListOptions.Where("name=listed-at-once"))).Rows;
        var row = Assert.Single(rows);
        Assert.Equal("CREATED", row.State);
        Assert.Equal(ray.NodeId.Value, Assert.Single(row.BundleNodes));
        await ray.RemovePlacementGroupAsync(group);
    }
}
