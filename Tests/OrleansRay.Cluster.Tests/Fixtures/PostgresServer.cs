using System.Diagnostics;
using System.Globalization;
using Npgsql;
using Xunit;

using OrleansRay.Tests.Processes;

namespace OrleansRay.Cluster.Tests.Fixtures;

/// <summary>A throwaway PostgreSQL server from the installed binaries: a temp folder owned by the <c>postgres</c> user
/// (the server refuses root), a free loopback port, its socket in the temp folder; stopped and deleted on dispose.</summary>
public sealed class PostgresServer : IAsyncLifetime
{
    public const string User = "orleansray";
    public const string Password = "orleansray-test";

    private static readonly TimeSpan CommandDeadline = TimeSpan.FromSeconds(90);
    private readonly string _root = Path.Combine(Path.GetTempPath(), "orleansray-pg-" + Guid.NewGuid().ToString("N")[..12]);
    private int _databases;
    private SharedCluster? _cluster;

    public int Port { get; } = TestPorts.Free();

    private string DataDirectory => Path.Combine(_root, "data");

    /// <summary>A connection string to the server's maintenance database.</summary>
    public string AdminConnectionString => ConnectionString("postgres");

    public string ConnectionString(string database, string password = Password) =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = User, Password = password, Database = database, Pooling = false }.ConnectionString;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_root);
        await RunAsync("chown", ["postgres:", _root]);
        var passwordFile = Path.Combine(_root, "password");
        await File.WriteAllTextAsync(passwordFile, Password + "\n");
        await RunAsync("chown", ["postgres:", passwordFile]);
        var bin = await BinDirectoryAsync();
        await RunAsPostgresAsync(Path.Combine(bin, "initdb"), ["-D", DataDirectory, "-U", User, "--pwfile", passwordFile, "-A", "scram-sha-256", "-E", "UTF8", "--no-sync"]);
        var serverOptions = string.Create(CultureInfo.InvariantCulture, $"-p {Port} -k {_root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        await RunAsPostgresAsync(Path.Combine(bin, "pg_ctl"), ["-D", DataDirectory, "-o", serverOptions, "-l", Path.Combine(_root, "server.log"), "-w", "-t", "60", "start"]);
    }

    /// <summary>Creates a fresh, empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "db")
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"{prefix}_{Interlocked.Increment(ref _databases)}");
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name};", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    /// <summary>A head and two workers whose <c>--storage</c> is a database of their own on this server, started on the
    /// first call and shared by the tests of <see cref="PostgresCollection"/> that need such a cluster but neither stop it
    /// nor look at its database: every call brings it back to the head and two plain workers, all alive
    /// (<see cref="SharedCluster.ResetAsync"/>), so a test that killed a worker leaves nothing behind.</summary>
    public async Task<SharedCluster> SharedClusterAsync()
    {
        if (_cluster is null)
        {
            var cluster = new SharedCluster(new LocalClusterOptions { Storage = await CreateDatabaseAsync("shared"), Workers = SharedCluster.BaseWorkers });
            await cluster.InitializeAsync();
            _cluster = cluster;
        }
        else
        {
            await _cluster.ResetAsync();
        }

        return _cluster;
    }

    public async Task DisposeAsync()
    {
        try
        {
            if (_cluster is not null)
            {
                // Its nodes stop before the database they write to.
                await _cluster.DisposeAsync();
            }
        }
        finally
        {
            await StopServerAsync();
        }
    }

    private async Task StopServerAsync()
    {
        try
        {
            if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
            {
                var pid = int.Parse((await File.ReadAllLinesAsync(Path.Combine(DataDirectory, "postmaster.pid")))[0], CultureInfo.InvariantCulture);
                try
                {
                    var bin = await BinDirectoryAsync();
                    await RunAsPostgresAsync(Path.Combine(bin, "pg_ctl"), ["-D", DataDirectory, "-m", "immediate", "-w", "-t", "10", "stop"]);
                }
                catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
                {
                    // pg_ctl failed: the kill below ends the server anyway.
                }

                KillIfRunning(pid);
            }
        }
        finally
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private static void KillIfRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill(entireProcessTree: true);
            process.WaitForExit(TimeSpan.FromSeconds(10));
        }
        catch (ArgumentException)
        {
            // Already gone.
        }
    }

    /// <summary>initdb and pg_ctl: on PATH (a wrapper may pick the version), else in <c>pg_config --bindir</c>.</summary>
    private static async Task<string> BinDirectoryAsync()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")))
            {
                return dir;
            }
        }

        var result = await ProcessRunner.RunAsync("pg_config", ["--bindir"], CommandDeadline);
        return result.Output.Trim();
    }

    private Task RunAsPostgresAsync(string program, IEnumerable<string> arguments) =>
        RunAsync("runuser", ["-u", "postgres", "--", program, .. arguments]);

    private static async Task RunAsync(string program, IEnumerable<string> arguments)
    {
        var result = await ProcessRunner.RunAsync(program, arguments, CommandDeadline);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} failed: {result}");
        }
    }
}
