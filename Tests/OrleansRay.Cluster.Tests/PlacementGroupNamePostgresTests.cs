using OrleansRay.Cluster.Tests.Drivers;
using OrleansRay.Cluster.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Cluster.Tests;

/// <summary>A placement group's name is kept by the control store: with <c>--storage</c> on PostgreSQL it outlives the
/// head, as the group's own row does.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PlacementGroupNamePostgresTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly PostgresServer _server;

    public PlacementGroupNamePostgresTests(PostgresServer server)
    {
        _server = server;
    }

    [Fact]
    public async Task On_PostgreSQL_a_placement_group_name_survives_a_head_restart_and_is_freed_by_removal()
    {
        var options = new LocalClusterOptions { Workers = 0, Storage = await _server.CreateDatabaseAsync("pgnames") };
        const string Name = "survivor";
        Guid id;
        await using (var first = await LocalCluster.StartAsync(options))
        {
            await using var ray = await Driver.ConnectAsync(first);
            // Detached: the driver's job ends before the head stops, and a group of the job would end with it.
            var group = await ray.CreatePlacementGroupAsync([new Bundle { ["CPU"] = 1 }], PlacementStrategy.Pack, Name, detached: true);
            await group.ReadyAsync().WaitAsync(Deadline);
            id = group.Id;
        }

        // A new head on the same database: a new cluster that reads the control store back.
        await using var second = await LocalCluster.StartAsync(options);
        await using var again = await Driver.ConnectAsync(second);
        var found = await again.GetPlacementGroupAsync(Name);
        Assert.Equal(id, found.Id);
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => again.CreatePlacementGroupAsync([new Bundle { ["CPU"] = 1 }], PlacementStrategy.Pack, Name));
        Assert.Contains("already exists", refused.Message, StringComparison.Ordinal);

        await again.RemovePlacementGroupAsync(found);
        await Assert.ThrowsAsync<PlacementGroupNotFoundException>(() => again.GetPlacementGroupAsync(Name));
        var reused = await again.CreatePlacementGroupAsync([new Bundle { ["CPU"] = 1 }], PlacementStrategy.Pack, Name);
        Assert.Equal(reused.Id, (await again.GetPlacementGroupAsync(Name)).Id);
        await again.RemovePlacementGroupAsync(reused);
    }
}
