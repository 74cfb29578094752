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

        var nodePort = TestPorts.Free();
        var dashboardPort = TestPorts.Free();
        var start = await _command.RunAsync("start", "--head", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--node-port", Text(nodePort), "--dashboard-port", Text(dashboardPort), "--num-cpus", "3", "--resources", "{\"accel\": 2}");

        Assert.True(start.ExitCode == 0, start.ToString());
        Assert.Contains($"Address = \"{address}\"", start.Output, StringComparison.Ordinal);
        // A head on loopback (the default) says other machines cannot join it, and how to let them; it never tells
        // another machine to dial 127.0.0.1.
        var banner = string.Join(' ', start.Output.Split('\n').Select(l => l.Trim()));
        Assert.Contains("Other machines cannot join: this head listens on 127.0.0.1 only.", banner, StringComparison.Ordinal);
        Assert.Contains("On another machine: none reaches this head, which listens on 127.0.0.1 only. Start it with --node-ip-address auto", banner, StringComparison.Ordinal);
        Assert.DoesNotContain($"then `orleansray start --address {address}`", banner, StringComparison.Ordinal);

        // The head's node port and its dashboard's HTTP port, given where the client port is wanted: one line at once
        // naming the kind of port (not the client's whole connect deadline, then "no cluster answers").
        foreach (var (verb, wrong, kind) in new[] { ("status", nodePort, "that is a node's port"), ("start", nodePort, "that is a node's port"), ("status", dashboardPort, "that is an HTTP port (the dashboard's") })
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var refused = await _command.RunAsync(verb, "--address", $"127.0.0.1:{Text(wrong)}");
            Assert.True(refused.ExitCode == 2, refused.ToString());
            var line = Assert.Single(refused.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith($"error: --address 127.0.0.1:{Text(wrong)}: {kind}", line, StringComparison.Ordinal);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(14), $"{verb} took {clock.Elapsed}: {refused}");
        }

        Assert.Single(_command.NodePids());

        // $ORLEANSRAY_ADDRESS (HOST:PORT) is the cluster `status` talks to when --address is not given, as RAY_ADDRESS
        // is Ray's: here a port where nothing listens, so not this machine's default cluster.
        var elsewhere = $"127.0.0.1:{Text(TestPorts.Free())}";
        var fromEnvironment = await _command.RunWithAsync(new Dictionary<string, string> { ["ORLEANSRAY_ADDRESS"] = elsewhere }, "status");
        Assert.True(fromEnvironment.ExitCode == 1, fromEnvironment.ToString());
        Assert.StartsWith($"error: $ORLEANSRAY_ADDRESS {elsewhere}: nothing answers at {elsewhere}", fromEnvironment.Error, StringComparison.Ordinal);
        var listed = await _command.RunWithAsync(new Dictionary<string, string> { ["ORLEANSRAY_ADDRESS"] = elsewhere }, "list", "nodes");
        Assert.StartsWith($"error: $ORLEANSRAY_ADDRESS {elsewhere}: nothing answers at {elsewhere}", listed.Error, StringComparison.Ordinal);
        // "auto" and the job verbs' http:// URL leave `status` to the address file.
        foreach (var value in new[] { "auto", $"http://127.0.0.1:{Text(dashboardPort)}" })
        {
            var local = await _command.RunWithAsync(new Dictionary<string, string> { ["ORLEANSRAY_ADDRESS"] = value }, "status");
            Assert.True(local.ExitCode == 0, local.ToString());
            Assert.Contains($"Address: {address}", local.Output, StringComparison.Ordinal);
        }
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
    public async Task A_worker_joins_the_head_with_address_and_its_resources_add_up_and_one_given_a_workers_address_joins_the_same_cluster()
    {
        var port = TestPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var head = await _command.RunAsync("start", "--head", "--port", port, "--dashboard-port", TestPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture), "--num-cpus", "2");
        Assert.True(head.ExitCode == 0, head.ToString());

        var workerPort = TestPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var worker = await _command.RunAsync("start", "--address", "127.0.0.1:" + port, "--port", workerPort, "--num-cpus", "1", "--resources", "{\"accel\": 1}");

        Assert.True(worker.ExitCode == 0, worker.ToString());
        Assert.Contains("worker node started", worker.Output, StringComparison.Ordinal);
        Assert.Equal(2, _command.NodePids().Count);

        // A node given a worker's address joins the same cluster (through its head), not a cluster of its own: it used
        // to dial that worker's membership and report itself as a one-node cluster's head.
        var throughWorker = await _command.RunAsync("start", "--address", "127.0.0.1:" + workerPort, "--num-cpus", "1");
        Assert.True(throughWorker.ExitCode == 0, throughWorker.ToString());
        Assert.Equal(3, _command.NodePids().Count);
        ProcessResult? status = null;
        // The workers report their rows within a second of joining.
        await Poll.UntilAsync(
            () => (status = _command.RunAsync("status").GetAwaiter().GetResult()).Output.Contains("Active: 3 node(s)", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30),
            "status to list all three nodes");
        Assert.Contains("0.0/4.0 CPU", status!.Output, StringComparison.Ordinal);
        Assert.Contains("0.0/1.0 accel", status.Output, StringComparison.Ordinal);
        Assert.Single(status.Output.Split('\n'), line => line.Contains("(head)", StringComparison.Ordinal));

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

        // Everything is checked before the warning, which comes only with a node that starts: a bad value (with or
        // without --port), and the running head's own port, are refused without it.
        foreach (var bad in new[]
        {
            new[] { "--num-cpus", "-1" },
            ["--port", Text(TestPorts.Free()), "--resources", "{\"accel\":"],
            ["--port", Text(TestPorts.Free()), "--code-cache-bytes", "-1"],
        })
        {
            var refused = await _command.RunAsync(["start", "--head", .. bad]);
            Assert.True(refused.ExitCode == 2, refused.ToString());
            Assert.StartsWith($"error: {bad[^2]}", Assert.Single(refused.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
            Assert.DoesNotContain("warning", refused.Output + refused.Error, StringComparison.Ordinal);
        }

        var taken = await _command.RunAsync("start", "--head", "--port", first.Split(':')[1], "--dashboard-port", Text(TestPorts.Free()));
        Assert.True(taken.ExitCode == 1, taken.ToString());
        Assert.StartsWith($"error: --port {first.Split(':')[1]}: the port is in use", taken.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("warning", taken.Output + taken.Error, StringComparison.Ordinal);
        Assert.Single(_command.NodePids());

        var second = "127.0.0.1:" + TestPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var deliberate = await _command.RunAsync("start", "--head", "--port", second.Split(':')[1], "--dashboard-port", TestPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture), "--num-cpus", "1", "--object-store-memory", (64L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.True(deliberate.ExitCode == 0, deliberate.ToString());
        Assert.Contains($"warning: a head already runs on this machine at {first}: this new cluster becomes this machine's default", deliberate.Output, StringComparison.Ordinal);
        Assert.Contains($"reach the other with --address {first} and the token in ", deliberate.Output, StringComparison.Ordinal);
        // One line, not wrapped mid-sentence at the console's width.
        Assert.Single(deliberate.Output.Split('\n'), line => line.StartsWith("warning: a head already runs", StringComparison.Ordinal) && line.Contains("reach the other with", StringComparison.Ordinal));
        Assert.Equal(second, File.ReadAllText(_command.AddressFile).Trim());

        var stop = await _command.RunAsync("stop");
        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.Empty(_command.NodePids());
    }

    /// <summary>A node's session folder (its log, jobs' logs and uploaded sources) is its user's only; and a node killed
    /// with its store (kill -9 of both) leaves the store's arena, which `stop` removes. The arenas are in a folder of this
    /// test's own (<c>$ORLEANSRAY_PLASMA_DIRECTORY</c>): in /dev/shm any store another test starts meanwhile sweeps them
    /// first, and the test could not tell whether `stop` did (it used to retry such rounds and still failed under load).</summary>
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task The_session_folder_is_private_and_stop_removes_the_arena_of_a_killed_store()
    {
        var arenaDirectory = Directory.CreateTempSubdirectory("orleansray-arena-").FullName;
        try
        {
            using var command = new OrleansRayCommand("cli-arena-", new Dictionary<string, string> { ["ORLEANSRAY_PLASMA_DIRECTORY"] = arenaDirectory });
            var start = await command.RunAsync("start", "--head", "--port", Text(TestPorts.Free()), "--dashboard-port", Text(TestPorts.Free()), "--num-cpus", "1", "--object-store-memory", (64L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(start.ExitCode == 0, start.ToString());
            var session = Directory.GetDirectories(command.TempDirectory, "session_2*").OrderBy(Directory.GetCreationTimeUtc).Last();
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(session));

            var pid = Assert.Single(command.NodePids());
            var store = Assert.Single(ProcessTree.Children(pid, "orleansray-store"));
            // The store's objects and its lease table: two arenas, in the folder the variable names.
            var arenas = Directory.GetFiles(arenaDirectory, $"orleansray-store-{Text(store.Pid)}-*.arena");
            Assert.NotEmpty(arenas);
            Assert.Empty(Directory.GetFiles("/dev/shm", $"orleansray-store-{Text(store.Pid)}-*.arena"));
            using (var node = System.Diagnostics.Process.GetProcessById(pid))
            {
                using var storeProcess = System.Diagnostics.Process.GetProcessById(store.Pid);
                storeProcess.Kill();
                node.Kill();
            }

            await Poll.UntilAsync(() => !ProcessTree.IsRunning(store) && !OrleansRayCommand.IsRunning(pid), TimeSpan.FromSeconds(20), "the node and its store to die");
            Assert.All(arenas, arena => Assert.True(File.Exists(arena), $"{arena} went before stop ran"));

            var stop = await command.RunAsync("stop");

            Assert.True(stop.ExitCode == 0, stop.ToString());
            Assert.All(arenas, arena => Assert.False(File.Exists(arena), $"stop leaves {arena}:\n{stop}"));
            Assert.Contains($"Removed {Text(arenas.Length)} object store arena(s) of stopped or killed stores from {arenaDirectory}.", stop.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(arenaDirectory, recursive: true);
        }
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
    [InlineData("--dashboard-port")]
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
