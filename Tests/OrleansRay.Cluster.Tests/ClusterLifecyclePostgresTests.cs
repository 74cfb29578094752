using Npgsql;
using OrleansRay.Cluster.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Cluster.Tests;

/// <summary><see cref="ClusterLifecycleTests"/> with <c>--storage</c> on a throwaway PostgreSQL: membership through the
/// ADO.NET clustering table.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ClusterLifecyclePostgresTests
{
    private readonly PostgresServer _server;

    public ClusterLifecyclePostgresTests(PostgresServer server)
    {
        _server = server;
    }

    [Fact]
    public async Task On_PostgreSQL_head_and_two_workers_show_three_alive_nodes_and_stop_leaves_no_process_and_no_file()
    {
        var storage = await _server.CreateDatabaseAsync("lifecycle");
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Storage = storage });

        await ClusterAssertions.ThreeAliveNodesWithSummedResourcesAsync(cluster);
        // Status 3 = Active in Orleans' membership table.
        Assert.Equal(3L, await ScalarAsync(storage, "SELECT count(*) FROM OrleansMembershipTable WHERE Status = 3"));

        await ClusterAssertions.StopLeavesNothingAsync(cluster);
        Assert.Equal(0L, await ScalarAsync(storage, "SELECT count(*) FROM OrleansMembershipTable WHERE Status = 3"));
    }

    private static async Task<long> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
