using Npgsql;
using OrleansRay.Cluster.Tests.Fixtures;
using OrleansRay.Silo.Storage;
using OrleansRay.Silo.Storage.Postgres;
using Xunit;

using OrleansRay.Tests.Processes;

namespace OrleansRay.Cluster.Tests;

[Collection(PostgresCollection.Name)]
public sealed class PostgresSchemaTests
{
    private readonly PostgresServer _server;

    public PostgresSchemaTests(PostgresServer server)
    {
        _server = server;
    }

    [Fact]
    public async Task Migrate_on_an_empty_database_creates_every_version_and_query_then_leaves_it_alone()
    {
        var connectionString = await _server.CreateDatabaseAsync("schema");

        var first = await PostgresSchema.MigrateAsync(connectionString);
        var second = await PostgresSchema.MigrateAsync(connectionString);

        Assert.Equal(Enumerable.Range(1, PostgresSchema.LatestVersion), first);
        Assert.Empty(second);
        Assert.Null(await PostgresSchema.CheckAsync(connectionString));
        var keys = await QueryStringsAsync(connectionString, "SELECT QueryKey FROM OrleansQuery ORDER BY QueryKey;");
        Assert.Equal(PostgresSchema.RequiredQueryKeys.Order(StringComparer.Ordinal), keys);
        var versions = await QueryStringsAsync(connectionString, "SELECT version::text FROM orleansray_schema_version ORDER BY version;");
        Assert.Equal(Enumerable.Range(1, PostgresSchema.LatestVersion).Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)), versions);
    }

    [Fact]
    public async Task Migrate_refuses_Orleans_tables_it_did_not_create()
    {
        var connectionString = await _server.CreateDatabaseAsync("foreign");
        await ExecuteAsync(connectionString, "CREATE TABLE OrleansQuery (QueryKey varchar(64) PRIMARY KEY, QueryText varchar(8000));");

        var error = await Assert.ThrowsAsync<StorageSetupException>(() => PostgresSchema.MigrateAsync(connectionString));

        Assert.Contains("orleansquery", error.Message, StringComparison.Ordinal);
        Assert.Contains("empty database", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task A_half_migrated_schema_is_reported_with_what_is_missing()
    {
        var connectionString = await _server.CreateDatabaseAsync("half");
        await PostgresSchema.MigrateAsync(connectionString);
        await ExecuteAsync(connectionString, "DROP TABLE OrleansStorage;");

        var error = await Assert.ThrowsAsync<StorageSetupException>(() => PostgresSchema.MigrateAsync(connectionString));

        Assert.Contains("half-migrated", error.Message, StringComparison.Ordinal);
        Assert.Contains("orleansstorage", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_password_says_so_in_one_line()
    {
        var database = await _server.CreateDatabaseAsync("auth");
        var builder = new NpgsqlConnectionStringBuilder(database) { Password = "not-the-password" };

        var error = await Assert.ThrowsAsync<StorageSetupException>(() => PostgresSchema.MigrateAsync(builder.ConnectionString));

        Assert.Contains("wrong user name or password", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task Unreachable_server_and_missing_database_say_so()
    {
        var unreachable = new NpgsqlConnectionStringBuilder(_server.AdminConnectionString) { Port = TestPorts.Free(), Timeout = 5 }.ConnectionString;
        var missing = _server.ConnectionString("no_such_database");

        var refused = await Assert.ThrowsAsync<StorageSetupException>(() => PostgresSchema.MigrateAsync(unreachable));
        var absent = await Assert.ThrowsAsync<StorageSetupException>(() => PostgresSchema.MigrateAsync(missing));

        Assert.Contains("cannot reach PostgreSQL", refused.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", absent.Message, StringComparison.Ordinal);
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<List<string>> QueryStringsAsync(string connectionString, string sql)
    {
        var values = new List<string>();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }
}
