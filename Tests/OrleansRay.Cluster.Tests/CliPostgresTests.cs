using Npgsql;
using OrleansRay.Cluster.Tests.Fixtures;
using Xunit;

using OrleansRay.Tests.Processes;

namespace OrleansRay.Cluster.Tests;

/// <summary><c>orleansray start --head --storage &lt;PostgreSQL&gt;</c> against a throwaway server.</summary>
[Collection(PostgresCollection.Name)]
public sealed class CliPostgresTests : IDisposable
{
    private readonly PostgresServer _server;
    private readonly OrleansRayCommand _command = new();

    public CliPostgresTests(PostgresServer server)
    {
        _server = server;
    }

    [Fact]
    public async Task Head_on_PostgreSQL_creates_the_schema_joins_through_the_membership_table_and_stops()
    {
        var storage = await _server.CreateDatabaseAsync("cli");
        var port = TestPorts.Free();

        var start = await _command.RunAsync("start", "--head", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--dashboard-port", TestPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture), "--num-cpus", "2", "--storage", storage);

        Assert.True(start.ExitCode == 0, start.ToString());
        Assert.Contains("schema created", start.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(PostgresServer.Password, start.Output, StringComparison.Ordinal);
        var status = await _command.RunAsync("status");
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains("Active: 1 node(s)", status.Output, StringComparison.Ordinal);
        Assert.Contains("0.0/2.0 CPU", status.Output, StringComparison.Ordinal);
        Assert.Equal(1L, await ScalarAsync(storage, "SELECT count(*) FROM OrleansMembershipTable WHERE Status = 3 AND ProxyPort = " + port));

        // A worker without the connection string cannot join a cluster whose membership is in PostgreSQL: refused at
        // once in one line saying what to set, not after the start deadline (60 s) with "did not come up".
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var worker = await _command.RunWithAsync(new Dictionary<string, string> { ["ORLEANSRAY_STORAGE"] = string.Empty }, "start", "--address", $"127.0.0.1:{port.ToString(System.Globalization.CultureInfo.InvariantCulture)}", "--num-cpus", "1");
        Assert.True(worker.ExitCode == 2, worker.ToString());
        var line = Assert.Single(worker.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("keeps its membership in PostgreSQL", line, StringComparison.Ordinal);
        Assert.Contains("$ORLEANSRAY_STORAGE (or --storage)", line, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"refused after {clock.Elapsed}");
        Assert.Single(_command.NodePids());

        var pid = Assert.Single(_command.NodePids());
        var stop = await _command.RunAsync("stop");
        Assert.True(stop.ExitCode == 0, stop.ToString());
        await Poll.UntilAsync(() => !OrleansRayCommand.IsRunning(pid), TimeSpan.FromSeconds(20), $"node process {pid} to exit");
        Assert.Equal(0L, await ScalarAsync(storage, "SELECT count(*) FROM OrleansMembershipTable WHERE Status = 3"));

        var wrongPassword = new NpgsqlConnectionStringBuilder(storage) { Password = "nope" }.ConnectionString;
        var refused = await _command.RunAsync("start", "--head", "--port", TestPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture), "--storage", wrongPassword);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("wrong user name or password", Assert.Single(refused.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
    }

    private static async Task<long> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public void Dispose() => _command.Dispose();
}
