using System.Net;
using OrleansRay.Silo.Autoscaling;
using OrleansRay.Silo.Autoscaling.Providers;
using OrleansRay.Silo.Cli;
using Xunit;

namespace OrleansRay.Dashboard.Tests.Autoscaling;

/// <summary>The local provider with real child processes: a small shell script stands in for <c>orleansray start</c>
/// (the real one is exercised by AutoscalerClusterTests), so launching, joining (the pid file), failing before joining
/// (exit code and the log's error line), and SIGTERM on terminate are checked in well under a second each.</summary>
public sealed class LocalNodeProviderTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private static readonly NodeTypeConfig WorkerType = ClusterConfigLoader.Parse("""
        cluster_name: demo
        provider: {type: local}
        head_node_type: head
        available_node_types:
          head: {resources: {CPU: 1}}
          worker: {resources: {CPU: 2, accel: 1}, start_options: {object-store-memory: 268435456}}
        """, "/configs/cluster.yaml").NodeTypes["worker"];

    private readonly string _root = Directory.CreateTempSubdirectory("orp-").FullName;
    private LocalNodeProvider? _provider;

    private string Session => Path.Combine(_root, "session_1");

    /// <summary>A provider whose "orleansray" is <paramref name="script"/> (run by /bin/sh with the start arguments as $1...).</summary>
    private LocalNodeProvider Provider(string script)
    {
        Directory.CreateDirectory(Path.Combine(Session, "logs"));
        _provider = new LocalNodeProvider(new LocalLaunchSettings(
            "127.0.0.1:30000", "127.0.0.1:30001", IPAddress.Loopback, Session, new CliPaths(_root), ["/apps/App.dll"], Storage: null, Token: "t0ken",
            Program: "/bin/sh", ProgramPrefix: ["-c", script, "orleansray"]));
        return _provider;
    }

    /// <summary>Writes the arguments to args.txt, then a pid file for its --port (as a node does once up), then waits for SIGTERM.</summary>
    private string JoiningScript => $$"""
        echo "$@" > '{{_root}}/args.txt'
        while [ $# -gt 0 ]; do [ "$1" = "--port" ] && port=$2; shift; done
        mkdir -p "$ORLEANSRAY_TEMP_DIR/nodes"
        printf '{"Pid": %s, "ProcessStart": "2026-01-01T00:00:00Z", "Address": "127.0.0.1:%s", "NodePort": 1, "IsHead": false, "Session": "s", "LogFile": "l"}' $$ $port > "$ORLEANSRAY_TEMP_DIR/nodes/node-$port.json"
        echo "token is $ORLEANSRAY_AUTH_TOKEN"
        trap 'echo stopping; exit 0' TERM
        while true; do sleep 0.05; done
        """;

    [Fact]
    public async Task A_worker_is_launching_until_its_pid_file_says_it_is_up_then_running_and_terminate_stops_it()
    {
        var provider = Provider(JoiningScript);

        var launched = await provider.LaunchAsync(WorkerType, 1, default);

        var node = Assert.Single(launched);
        Assert.Equal(ProviderNodeState.Launching, node.State);
        Assert.Equal("worker", node.NodeType);
        Assert.Matches(@"^127\.0\.0\.1:\d+$", node.NodeAddress);
        var record = Assert.Single(LocalWorkerRecord.ReadAll(LocalNodeProvider.FolderOf(Session)));
        Assert.Equal(node.Id, record.Record.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // Status shows it by its client address, the one `down` names it by (its record's), not its node port.
        Assert.Equal(record.Record.Address, node.ShownAddress);
        Assert.NotEqual(node.NodeAddress, node.ShownAddress);
        var running = await UntilAsync(provider, nodes => nodes.SingleOrDefault(n => n.State == ProviderNodeState.Running));

        // The worker got the head's address, the type's resources and options, the head's --load, its session, --block.
        var args = await File.ReadAllTextAsync(Path.Combine(_root, "args.txt"));
        Assert.StartsWith("start --address 127.0.0.1:30000 --port ", args, StringComparison.Ordinal);
        Assert.Contains("--num-cpus 2 --resources {\"accel\": 1} --object-store-memory 268435456 --storage memory --load /apps/App.dll --primary-node 127.0.0.1:30001 --block --session-dir " + Session, args, StringComparison.Ordinal);
        Assert.DoesNotContain("t0ken", args, StringComparison.Ordinal);

        using var process = System.Diagnostics.Process.GetProcessById(int.Parse(running.Id, System.Globalization.CultureInfo.InvariantCulture));
        await provider.TerminateAsync(running.Id, default);

        Assert.True(process.HasExited);
        Assert.Empty(await provider.ListAsync(default));
        Assert.Empty(LocalWorkerRecord.ReadAll(LocalNodeProvider.FolderOf(Session)));
        // Its output went to its log in the session's logs folder: the token by environment, the SIGTERM handled.
        var log = await File.ReadAllTextAsync(Assert.Single(Directory.GetFiles(Path.Combine(Session, "logs"))));
        Assert.Contains("token is t0ken", log, StringComparison.Ordinal);
        Assert.Contains("stopping", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_worker_that_exits_before_joining_is_failed_with_its_exit_code_and_the_logs_error_line_until_terminated()
    {
        var provider = Provider("""
            echo "some output"
            echo "error: unknown option '--no-such-option' for \`orleansray start\`." >&2
            exit 2
            """);

        await provider.LaunchAsync(WorkerType, 1, default);
        var failed = await UntilAsync(provider, nodes => nodes.SingleOrDefault(n => n.State == ProviderNodeState.Failed));

        Assert.Equal("worker", failed.NodeType);
        Assert.StartsWith("the node exited with code 2 before joining the cluster: error: unknown option '--no-such-option'", failed.FailureReason, StringComparison.Ordinal);
        Assert.Contains("(log: " + Path.Combine(Session, "logs"), failed.FailureReason, StringComparison.Ordinal);
        Assert.NotNull(failed.Since);
        Assert.Empty(LocalWorkerRecord.ReadAll(LocalNodeProvider.FolderOf(Session)));
        // Listed until the autoscaler terminates (forgets) it; the provider never launches again on its own.
        Assert.Single(await provider.ListAsync(default));
        await provider.TerminateAsync(failed.Id, default);
        Assert.Empty(await provider.ListAsync(default));
    }

    [Fact]
    public async Task A_worker_killed_soon_after_joining_keeps_the_backoff_and_one_killed_after_a_good_run_does_not()
    {
        // Joins (pid file), then SIGKILLs itself once the test creates its "die" file: exit code 137.
        var script = JoiningScript.Replace(
            "while true; do sleep 0.05; done",
            $"while [ ! -e '{_root}/die' ]; do sleep 0.05; done; rm -f '{_root}/die'; kill -9 $$",
            StringComparison.Ordinal);
        var time = new SteppedTime();
        Directory.CreateDirectory(Path.Combine(Session, "logs"));
        var provider = _provider = new LocalNodeProvider(new LocalLaunchSettings(
            "127.0.0.1:30000", "127.0.0.1:30001", IPAddress.Loopback, Session, new CliPaths(_root), ["/apps/App.dll"], Storage: null, Token: "t0ken",
            Program: "/bin/sh", ProgramPrefix: ["-c", script, "orleansray"]), time);

        // Dies 1 s after joining (a crash on its first task): not replaced at once, or a crashing type would loop.
        var first = Assert.Single(await provider.LaunchAsync(WorkerType, 1, default));
        await UntilAsync(provider, nodes => nodes.SingleOrDefault(n => n.Id == first.Id && n.State == ProviderNodeState.Running));
        time.Advance(TimeSpan.FromSeconds(1));
        await File.WriteAllTextAsync(Path.Combine(_root, "die"), "now");
        var soon = await UntilAsync(provider, nodes => nodes.SingleOrDefault(n => n.Id == first.Id && n.State == ProviderNodeState.Failed));
        Assert.False(soon.FailedAfterJoining);
        Assert.StartsWith("the node exited with code 137 (signal 9, SIGKILL) after joining the cluster: no error in its log", soon.FailureReason, StringComparison.Ordinal);

        // Dies after a run longer than the back-off (a kill -9 of a working node): replaced at once.
        var second = Assert.Single(await provider.LaunchAsync(WorkerType, 1, default));
        await UntilAsync(provider, nodes => nodes.SingleOrDefault(n => n.Id == second.Id && n.State == ProviderNodeState.Running));
        time.Advance(Autoscaler.FailureBackoff + TimeSpan.FromSeconds(1));
        await File.WriteAllTextAsync(Path.Combine(_root, "die"), "now");
        var later = await UntilAsync(provider, nodes => nodes.SingleOrDefault(n => n.Id == second.Id && n.State == ProviderNodeState.Failed));
        Assert.True(later.FailedAfterJoining);
    }

    /// <summary>A clock that moves only when the test says (the provider reads it for how long a worker ran).</summary>
    private sealed class SteppedTime : TimeProvider
    {
        private DateTimeOffset _now = DateTimeOffset.UtcNow;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }

    [Fact]
    public void The_failure_reason_quotes_an_error_line_of_the_log_never_an_ordinary_one()
    {
        var log = Path.Combine(Directory.CreateDirectory(Session).FullName, "quote.log");
        // A node killed by a signal logs nothing of it: its last line is ordinary, and must not read as the cause.
        File.WriteAllLines(log, ["2026-12-07 11:12:40.001 info: OrleansRay.Node.NodeRuntime[0] Node started", "2026-12-07 11:12:45.747 info: OrleansRay.Node.NodeRuntime[0] Loaded job code bb0eb35b8f49"]);
        Assert.Equal("no error in its log", LocalNodeProvider.LastError(log));

        File.AppendAllLines(log, ["2026-12-07 11:12:46.000 fail: OrleansRay.Node.NodeRuntime[0] The store could not map its arena", "2026-12-07 11:12:47.000 info: later"]);
        Assert.Equal("2026-12-07 11:12:46.000 fail: OrleansRay.Node.NodeRuntime[0] The store could not map its arena", LocalNodeProvider.LastError(log));

        File.AppendAllLines(log, ["Unhandled exception. System.InvalidOperationException: boom"]);
        Assert.Equal("Unhandled exception. System.InvalidOperationException: boom", LocalNodeProvider.LastError(log));
        Assert.Equal("(no log)", LocalNodeProvider.LastError(Path.Combine(Session, "missing.log")));
    }

    [Fact]
    public async Task Disposing_stops_every_worker_and_launching_several_gives_each_its_own_ports()
    {
        var provider = Provider(JoiningScript);

        var launched = await provider.LaunchAsync(WorkerType, 2, default);
        await UntilAsync(provider, nodes => nodes.Count(n => n.State == ProviderNodeState.Running) == 2 ? nodes[0] : null);
        var processes = launched.Select(n => System.Diagnostics.Process.GetProcessById(int.Parse(n.Id, System.Globalization.CultureInfo.InvariantCulture))).ToList();

        Assert.Equal(2, launched.Select(n => n.NodeAddress).Distinct().Count());
        await provider.DisposeAsync();
        _provider = null;

        Assert.All(processes, p => Assert.True(p.HasExited));
        processes.ForEach(p => p.Dispose());
    }

    [Fact]
    public async Task Launching_no_node_is_refused()
    {
        var provider = Provider("exit 0");

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => provider.LaunchAsync(WorkerType, 0, default));
    }

    private static async Task<ProviderNode> UntilAsync(INodeProvider provider, Func<IReadOnlyList<ProviderNode>, ProviderNode?> found)
    {
        var end = DateTime.UtcNow + Deadline;
        while (true)
        {
            var nodes = await provider.ListAsync(default);
            if (found(nodes) is { } node)
            {
                return node;
            }

            Assert.True(DateTime.UtcNow < end, $"Waited {Deadline} for the provider's nodes; last: {string.Join(", ", nodes)}");
            await Task.Delay(50);
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_provider is not null)
        {
            await _provider.DisposeAsync();
        }

        Directory.Delete(_root, recursive: true);
    }
}
