using System.Globalization;
using OrleansRay.Cluster.Tests.Fixtures;
using OrleansRay.Tests.Processes;
using Xunit;

namespace OrleansRay.Cluster.Tests;

/// <summary>Issue 9, case 13: a PostgreSQL password never shows in a node's command line (anyone's <c>ps</c> reads
/// those): the launching <c>start</c> hands the connection string to the node by environment, and a person can give
/// it the same way (<c>ORLEANSRAY_STORAGE</c>) instead of <c>--storage</c>.</summary>
[Collection(PostgresCollection.Name)]
public sealed class CliSecretsTests : IDisposable
{
    private static readonly TimeSpan CommandDeadline = TimeSpan.FromSeconds(90);

    private readonly PostgresServer _server;
    private readonly OrleansRayCommand _command = new("ors-");

    public CliSecretsTests(PostgresServer server)
    {
        _server = server;
    }

    [Fact]
    public async Task The_storage_password_is_in_no_node_command_line_and_a_worker_takes_it_from_the_environment()
    {
        var storage = await _server.CreateDatabaseAsync("secret");
        var port = TestPorts.Free().ToString(CultureInfo.InvariantCulture);

        var head = await _command.RunAsync("start", "--head", "--port", port, "--dashboard-port", TestPorts.Free().ToString(CultureInfo.InvariantCulture), "--num-cpus", "1", "--storage", storage);
        Assert.True(head.ExitCode == 0, head.ToString());
        // No --storage: the connection string comes from ORLEANSRAY_STORAGE.
        var worker = await RunWithStorageVariableAsync(storage, "start", "--address", "127.0.0.1:" + port, "--num-cpus", "1");
        Assert.True(worker.ExitCode == 0, worker.ToString());
        Assert.DoesNotContain(PostgresServer.Password, worker.Output, StringComparison.Ordinal);

        var pids = _command.NodePids();
        Assert.Equal(2, pids.Count);
        foreach (var pid in pids)
        {
            Assert.DoesNotContain(PostgresServer.Password, CommandLine(pid), StringComparison.Ordinal);
            foreach (var store in ProcessTree.Children(pid, "orleansray-store"))
            {
                Assert.DoesNotContain(PostgresServer.Password, CommandLine(store.Pid), StringComparison.Ordinal);
            }
        }

        // The worker joined through the membership table in the database it was given by environment.
        ProcessResult? status = null;
        await Poll.UntilAsync(
            async () => (status = await _command.RunAsync("status")).Output.Contains("Active: 2 node(s)", StringComparison.Ordinal),
            TimeSpan.FromSeconds(60),
            "status to list both nodes",
            () => status?.ToString() ?? "(no status yet)");
        var stop = await _command.RunAsync("stop");
        Assert.True(stop.ExitCode == 0, stop.ToString());
        foreach (var pid in pids)
        {
            await Poll.UntilAsync(() => !OrleansRayCommand.IsRunning(pid), TimeSpan.FromSeconds(30), $"node {pid} to exit");
        }
    }

    /// <summary>A process' arguments as <c>ps</c> shows them (NUL-separated in /proc).</summary>
    private static string CommandLine(int pid) =>
        File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cmdline").Replace('\0', ' ');

    private Task<ProcessResult> RunWithStorageVariableAsync(string storage, params string[] arguments) =>
        ProcessRunner.RunAsync(
            Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet",
            [OrleansRayCommand.CommandAssembly, .. arguments],
            CommandDeadline,
            new Dictionary<string, string> { ["ORLEANSRAY_TEMP_DIR"] = _command.TempDirectory, ["ORLEANSRAY_STORAGE"] = storage });

    public void Dispose() => _command.Dispose();
}
