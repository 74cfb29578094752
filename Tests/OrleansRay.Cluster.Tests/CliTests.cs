using System.Net;
using System.Net.Sockets;
using OrleansRay.Cluster.Tests.Fixtures;
using Xunit;

using OrleansRay.Tests.Processes;

namespace OrleansRay.Cluster.Tests;

/// <summary>The <c>orleansray</c> command as people use it: real processes, real ports, files in a private temp folder.</summary>
public sealed class CliTests : IDisposable
{
    private readonly OrleansRayCommand _command = new();

    [Fact]
    public async Task Start_status_stop_runs_a_head_in_the_background_and_leaves_nothing_behind()
    {
        var port = TestPorts.Free();
        var address = $"127.0.0.1:{port}";

        var start = await _command.RunAsync("start", "--head", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--dashboard-port", TestPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture), "--num-cpus", "3", "--resources", "{\"accel\": 2}");

        Assert.True(start.ExitCode == 0, start.ToString());
        Assert.Contains($"Address = \"{address}\"", start.Output, StringComparison.Ordinal);
        Assert.Contains("orleansray status", start.Output, StringComparison.Ordinal);
        Assert.Contains("orleansray stop", start.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(start.Output.Split('\n'), line => line.TrimEnd('\r').EndsWith(' '));
        Assert.Equal(address, File.ReadAllText(_command.AddressFile).Trim());
        var pid = Assert.Single(_command.NodePids());
        Assert.True(OrleansRayCommand.IsRunning(pid));
        // The node runs its object store as a child process.
        var store = Assert.Single(ProcessTree.Children(pid, "orleansray-store"));

        var status = await _command.RunAsync("status");

        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains("Active: 1 node(s)", status.Output, StringComparison.Ordinal);
        Assert.Contains("0.0/3.0 CPU", status.Output, StringComparison.Ordinal);
        Assert.Contains("0.0/2.0 accel", status.Output, StringComparison.Ordinal);
        Assert.Contains("(no resource demands)", status.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("│", status.Output, StringComparison.Ordinal);

        var stop = await _command.RunAsync("stop");

        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.Contains($"Stopped head node {address}", stop.Output, StringComparison.Ordinal);
        await Poll.UntilAsync(() => !OrleansRayCommand.IsRunning(pid), TimeSpan.FromSeconds(20), $"node process {pid} to exit");
        await Poll.UntilAsync(() => !ProcessTree.IsRunning(store), TimeSpan.FromSeconds(20), $"{store} to exit");
        // Pid file, address file, session folder (logs, store socket): nothing of the node is left.
        Assert.Empty(Directory.EnumerateFileSystemEntries(_command.TempDirectory, "*", SearchOption.AllDirectories));

        var again = await _command.RunAsync("stop");
        Assert.Equal(0, again.ExitCode);
        Assert.Contains("No OrleansRay node is running", again.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_worker_joins_the_head_with_address_and_its_resources_add_up()
    {
        var port = TestPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var head = await _command.RunAsync("start", "--head", "--port", port, "--dashboard-port", TestPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture), "--num-cpus", "2");
        Assert.True(head.ExitCode == 0, head.ToString());

        var worker = await _command.RunAsync("start", "--address", "127.0.0.1:" + port, "--num-cpus", "1", "--resources", "{\"accel\": 1}");

        Assert.True(worker.ExitCode == 0, worker.ToString());
        Assert.Contains("worker node started", worker.Output, StringComparison.Ordinal);
        Assert.Equal(2, _command.NodePids().Count);
        ProcessResult? status = null;
        // The worker reports its row within a second of joining.
        await Poll.UntilAsync(
            () => (status = _command.RunAsync("status").GetAwaiter().GetResult()).Output.Contains("Active: 2 node(s)", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30),
            "status to list both nodes");
        Assert.Contains("0.0/3.0 CPU", status!.Output, StringComparison.Ordinal);
        Assert.Contains("0.0/1.0 accel", status.Output, StringComparison.Ordinal);

        var stop = await _command.RunAsync("stop");
        Assert.Contains("Stopped worker node", stop.Output, StringComparison.Ordinal);
        Assert.Contains("Stopped head node", stop.Output, StringComparison.Ordinal);
        Assert.Empty(_command.NodePids());
    }

    /// <summary>Ray's <c>ray start --head</c> where a head runs: without <c>--port</c> it is refused in one line naming the
    /// running head (the address file still names it); with <c>--port</c> the second head starts deliberately, and a
    /// warning says it is now the machine's default and how to reach the first.</summary>
    [Fact]
    public async Task A_second_head_is_refused_without_port_and_warned_about_with_port()
    {
        var first = "127.0.0.1:" + TestPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var head = await _command.RunAsync("start", "--head", "--port", first.Split(':')[1], "--dashboard-port", TestPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture), "--num-cpus", "1", "--object-store-memory", (64L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(head.ExitCode == 0, head.ToString());

        var again = await _command.RunAsync("start", "--head", "--dashboard-port", TestPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture), "--num-cpus", "1", "--object-store-memory", (64L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.True(again.ExitCode == 1, again.ToString());
        var line = Assert.Single(again.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error: a head already runs on this machine at {first} ", line, StringComparison.Ordinal);
        Assert.Contains("--port PORT", line, StringComparison.Ordinal);
        Assert.Single(_command.NodePids());
        Assert.Equal(first, File.ReadAllText(_command.AddressFile).Trim());

        var second = "127.0.0.1:" + TestPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var deliberate = await _command.RunAsync("start", "--head", "--port", second.Split(':')[1], "--dashboard-port", TestPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture), "--num-cpus", "1", "--object-store-memory", (64L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.True(deliberate.ExitCode == 0, deliberate.ToString());
        Assert.Contains($"warning: a head already runs on this machine at {first}: this new cluster becomes this machine's default", deliberate.Output, StringComparison.Ordinal);
        Assert.Contains($"reach the other with --address {first} and the token in ", deliberate.Output, StringComparison.Ordinal);
        Assert.Equal(second, File.ReadAllText(_command.AddressFile).Trim());

        var stop = await _command.RunAsync("stop");
        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.Empty(_command.NodePids());
    }

    [Theory]
    [InlineData("--resources", "{\"accel\":", "error: --resources")]
    [InlineData("--resources", "{\"accel\": -1}", "error: --resources")]
    [InlineData("--num-cpus", "-2", "error: --num-cpus")]
    [InlineData("--object-store-memory", "-5", "error: --object-store-memory")]
    [InlineData("--code-cache-bytes", "-5", "error: --code-cache-bytes -5: must be a number of bytes >= 0.")]
    [InlineData("--storage", "Host=127.0.0.1;Bogus Key=1", "error: --storage")]
    public async Task Bad_input_is_one_line_naming_the_option_with_exit_code_2(string option, string value, string expected)
    {
        var result = await _command.RunAsync("start", "--head", "--port", TestPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture), option, value);

        Assert.True(result.ExitCode is 1 or 2, result.ToString());
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith(expected, line, StringComparison.Ordinal);
        Assert.Empty(_command.NodePids());
    }

    [Theory]
    [InlineData("--port")]
    [InlineData("--node-port")]
    [InlineData("--task-channel-port")]
    [InlineData("--object-manager-port")]
    public async Task A_port_in_use_is_refused_before_anything_starts(string option)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        string[] args = option == "--port"
            ? ["start", "--head", "--port", Text(port)]
            : ["start", "--head", "--port", Text(TestPorts.Free()), option, Text(port)];

        var result = await _command.RunAsync(args);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"error: {option} {port}: the port is in use", result.Error, StringComparison.Ordinal);
        Assert.Empty(_command.NodePids());
    }

    [Theory]
    [InlineData("--node-port")]
    [InlineData("--task-channel-port")]
    [InlineData("--object-manager-port")]
    public async Task Two_ports_of_a_node_that_are_the_same_are_refused_naming_both(string option)
    {
        var port = TestPorts.Free();

        var result = await _command.RunAsync("start", "--head", "--port", Text(port), option, Text(port));

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal($"error: --port and {option} are both {port}: give them different ports.", line);
        Assert.Empty(_command.NodePids());
    }

    [Fact]
    public async Task A_node_listens_on_the_task_channel_and_object_manager_ports_it_was_given_and_frees_them_on_stop()
    {
        // Firewalled hosts open fixed ports: the node's task channel and its store's transfer port are then not free
        // ports chosen at start but the ones given, on the node's address, and they close with the node.
        var channel = TestPorts.Free();
        var transfer = TestPorts.Free();
        var start = await _command.RunAsync("start", "--head", "--port", Text(TestPorts.Free()), "--dashboard-port", Text(TestPorts.Free()), "--task-channel-port", Text(channel), "--object-manager-port", Text(transfer));
        Assert.True(start.ExitCode == 0, start.ToString());
        var pid = Assert.Single(_command.NodePids());

        // The task channel opens as the silo becomes active, just after `start` returns.
        await Poll.UntilAsync(() => Listens(channel), TimeSpan.FromSeconds(30), $"the task channel to listen on port {channel}");
        Assert.True(Listens(transfer), $"the object store should listen on port {transfer}");

        var stop = await _command.RunAsync("stop");
        Assert.True(stop.ExitCode == 0, stop.ToString());
        await Poll.UntilAsync(() => !OrleansRayCommand.IsRunning(pid), TimeSpan.FromSeconds(20), $"node process {pid} to exit");
        await Poll.UntilAsync(() => !Listens(channel) && !Listens(transfer), TimeSpan.FromSeconds(20), "both ports to close with the node");
    }

    private static bool Listens(int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string Text(int port) => port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task Status_without_a_cluster_says_how_to_start_one()
    {
        var result = await _command.RunAsync("status");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("orleansray start --head", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
    }

    public void Dispose() => _command.Dispose();
}
