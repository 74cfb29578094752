using System.Globalization;
using OrleansRay.Tests.Processes;
using Xunit;

namespace OrleansRay.Cluster.Tests;

/// <summary><c>orleansray down CONFIG</c> stops its own cluster only: a cluster started before it on the same machine
/// (<c>start --head</c>) keeps the machine's address and token files and session_latest, which its drivers and
/// commands find it by; <c>stop</c> removes them once no node runs. Every node this test starts is in its private
/// folder's pid files, which the command's dispose kills even when an assertion fails.</summary>
public sealed class DownSharedFilesTests
{
    [Fact]
    public async Task Down_of_an_up_cluster_leaves_the_address_and_token_files_to_the_head_still_running_on_the_machine()
    {
        using var command = new OrleansRayCommand("odown-");
        var tokenFile = Path.Combine(command.TempDirectory, "orleansray_auth_token");
        var first = await command.RunAsync(
            "start", "--head", "--port", Port(), "--node-port", Port(), "--dashboard-port", Port(), "--object-store-memory", "268435456");
        Assert.True(first.ExitCode == 0, first.ToString());
        var firstAddress = File.ReadAllText(command.AddressFile).Trim();
        var token = File.ReadAllText(tokenFile).Trim();

        var upPort = Port();
        var config = Path.Combine(command.TempDirectory, "second.yaml");
        File.WriteAllText(config, $"""
            cluster_name: second
            provider: {"{"}type: local{"}"}
            head_node_type: head
            available_node_types:
              head:
                resources: {"{"}CPU: 1{"}"}
                start_options:
                  port: {upPort}
                  node-port: {Port()}
                  dashboard-port: {Port()}
                  object-store-memory: 268435456
            """);
        var up = await command.RunAsync("up", config);
        Assert.True(up.ExitCode == 0, up.ToString());
        Assert.Equal("127.0.0.1:" + upPort, File.ReadAllText(command.AddressFile).Trim());

        var down = await command.RunAsync("down", config);
        Assert.True(down.ExitCode == 0 && down.Output.Contains("Cluster 'second' is down", StringComparison.Ordinal), down.ToString());

        // The first head, still running, has the machine's files again: the address, its token, its session.
        Assert.Equal(firstAddress, File.ReadAllText(command.AddressFile).Trim());
        Assert.Equal(token, File.ReadAllText(tokenFile).Trim());
        Assert.True(Directory.Exists(Path.Combine(command.TempDirectory, "session_latest", "logs")), "session_latest points at no running node's session");
        var status = await command.RunAsync("status");
        Assert.True(status.ExitCode == 0 && status.Output.Contains(firstAddress, StringComparison.Ordinal), status.ToString());

        var stop = await command.RunAsync("stop");
        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.False(File.Exists(tokenFile), "stop left the token file with no node running");
        Assert.Empty(command.NodePids());
    }

    private static string Port() => TestPorts.Free().ToString(CultureInfo.InvariantCulture);
}
