using OrleansRay.Cluster.Tests.Fixtures;
using OrleansRay.Silo.Commands;
using OrleansRay.Silo.Cli;
using OrleansRay.Tests.Processes;
using Xunit;

namespace OrleansRay.Cluster.Tests;

/// <summary><c>orleansray logs</c> (Ray's <c>ray logs</c> for this machine) against the shared real cluster: it lists
/// the running nodes' log files and prints one's last lines; bad input is one line. The tail and follow parts also run
/// in this process on a file of the test's own (rotation, partial lines, cancellation).</summary>
[Collection(ClusterCollection.Name)]
public sealed class LogsCommandTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private readonly SharedCluster _shared;
    private readonly string _folder = Directory.CreateTempSubdirectory("orleansray-logs-").FullName;

    public LogsCommandTests(SharedCluster shared)
    {
        _shared = shared;
    }

    private LocalCluster Cluster => _shared.Cluster;

    public Task InitializeAsync() => _shared.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Logs_lists_every_running_nodes_log_and_prints_the_last_lines_of_one_by_name()
    {
        var list = await Cluster.RunAsync("logs");

        Assert.True(list.ExitCode == 0, list.ToString());
        var headLog = Cluster.Head.LogFile!;
        var name = Path.GetFileName(headLog);
        Assert.Contains(Path.GetDirectoryName(headLog)! + " (head node ", list.Output, StringComparison.Ordinal);
        Assert.Contains("  " + name + " ", list.Output, StringComparison.Ordinal);
        Assert.Contains("(worker node ", list.Output, StringComparison.Ordinal);

        var printed = await Cluster.RunAsync("logs", name, "--tail", "2");
        Assert.True(printed.ExitCode == 0, printed.ToString());
        var lines = printed.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        // What it printed is in the head's log (which may have grown since).
        var content = await File.ReadAllTextAsync(headLog);
        Assert.All(lines, line => Assert.Contains(line, content, StringComparison.Ordinal));

        var unknown = await Cluster.RunAsync("logs", "node-1.log");
        Assert.Equal(2, unknown.ExitCode);
        Assert.StartsWith("error: no log named node-1.log in ", unknown.Error, StringComparison.Ordinal);
        Assert.Contains("`orleansray logs` lists them", unknown.Error, StringComparison.Ordinal);
        var negative = await Cluster.RunAsync("logs", name, "--tail", "-1");
        Assert.Equal(2, negative.ExitCode);
        Assert.Contains("--tail -1: give a number of lines, 0 or more", negative.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Node_logs_carry_no_watchdog_stall_as_long_as_the_machines_uptime()
    {
        // Orleans 10.4.2's watchdog reports at its first check that its participant check "has not completed for" the
        // time since the machine booted (it measures from a timestamp of 0); a node hides that one line.
        foreach (var node in Cluster.RunningNodes)
        {
            // The watchdog checks once a second from its silo's start: read the log once the node has run a few seconds.
            var started = System.Diagnostics.Process.GetProcessById(node.Process.Pid).StartTime.ToUniversalTime();
            await Poll.UntilAsync(() => DateTime.UtcNow - started > TimeSpan.FromSeconds(5), Deadline, $"{node} to have run for 5 s");
            var content = await File.ReadAllTextAsync(node.LogFile!);
            Assert.Contains("OrleansRay", content, StringComparison.Ordinal); // the node has logged its start
            Assert.DoesNotContain("has not completed for", content, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_dead_nodes_log_is_listed_and_found_by_name_and_with_no_node_left_the_newest_sessions_are()
    {
        // A root of this test's own: one session whose node was killed (its pid file names a process that has exited),
        // and older sessions without pid files, as `stop --keep-logs` leaves them.
        var root = Path.Combine(_folder, "root");
        var paths = new CliPaths(root);
        var dead = Path.Combine(root, "session_2026-12-07_10-00-00_000000_2");
        Directory.CreateDirectory(Path.Combine(dead, "logs"));
        File.WriteAllText(Path.Combine(dead, "logs", "node-4242.log"), "the node's last words");
        Directory.CreateDirectory(paths.NodesDirectory);
        File.WriteAllText(Path.Combine(paths.NodesDirectory, "node-30100.json"),
            $$"""{"Pid": {{ExitedPid()}}, "ProcessStart": "2026-01-01T00:00:00Z", "Address": "127.0.0.1:30100", "NodePort": 1, "IsHead": false, "Session": "{{dead}}", "LogFile": "{{Path.Combine(dead, "logs", "node-4242.log")}}"}""");

        var folders = LogsCommand.LogFolders(paths);
        var (folder, owner) = Assert.Single(folders);
        Assert.Equal(Path.Combine(dead, "logs"), folder);
        Assert.Equal("worker node 127.0.0.1:30100, not running: killed or crashed", owner);
        Assert.Equal(Path.Combine(dead, "logs", "node-4242.log"), LogsCommand.Resolve("node-4242.log", folders));

        // No pid file left: the newest sessions, newest first.
        File.Delete(Path.Combine(paths.NodesDirectory, "node-30100.json"));
        var older = Path.Combine(root, "session_2026-12-07_09-00-00_000000_1");
        Directory.CreateDirectory(Path.Combine(older, "logs"));
        Assert.Equal([Path.Combine(dead, "logs"), Path.Combine(older, "logs")], LogsCommand.LogFolders(paths).Select(f => f.Folder));

        // Every head on the default port leaves a node-30000.log in its session: the name means the newest one.
        File.WriteAllText(Path.Combine(dead, "logs", "node-30000.log"), "newer");
        File.WriteAllText(Path.Combine(older, "logs", "node-30000.log"), "older");
        Assert.Equal(Path.Combine(dead, "logs", "node-30000.log"), LogsCommand.Resolve("node-30000.log", LogsCommand.LogFolders(paths)));
    }

    [Fact]
    public void A_sessions_log_stays_listed_after_a_newer_node_took_its_port_and_pid_file()
    {
        // A head on port 30000 was killed, and a new head on the same port replaced its pid file: the killed head's session
        // has no pid file left, yet its log is the one to read.
        var root = Path.Combine(_folder, "replaced");
        var paths = new CliPaths(root);
        var killed = Path.Combine(root, "session_2026-12-07_10-00-00_000000_1");
        var current = Path.Combine(root, "session_2026-12-07_11-00-00_000000_2");
        var oldest = Enumerable.Range(0, 3).Select(i => Path.Combine(root, $"session_2026-12-07_0{i}-00-00_000000_9")).ToList();
        foreach (var session in oldest.Append(killed).Append(current))
        {
            Directory.CreateDirectory(Path.Combine(session, "logs"));
            File.WriteAllText(Path.Combine(session, "logs", "node-30000.log"), session);
        }

        Directory.CreateDirectory(paths.NodesDirectory);
        File.WriteAllText(Path.Combine(paths.NodesDirectory, "node-30000.json"),
            $$"""{"Pid": {{ExitedPid()}}, "ProcessStart": "2026-01-01T00:00:00Z", "Address": "127.0.0.1:30000", "NodePort": 1, "IsHead": true, "Session": "{{current}}", "LogFile": "{{Path.Combine(current, "logs", "node-30000.log")}}"}""");

        var folders = LogsCommand.LogFolders(paths);

        // The pid file's session first, then the newest earlier sessions, as many as EarlierSessionsListed.
        Assert.Equal([Path.Combine(current, "logs"), Path.Combine(killed, "logs"), Path.Combine(oldest[2], "logs")], folders.Select(f => f.Folder));
        Assert.Equal(LogsCommand.EarlierSessionsListed + 1, folders.Count);
        Assert.StartsWith("head node 127.0.0.1:30000", folders[0].Owner, StringComparison.Ordinal);
        Assert.Contains("a newer node took its port", folders[1].Owner, StringComparison.Ordinal);

        // The bare name still means the pid file's session; the killed head's log is listed with its path.
        Assert.Equal(Path.Combine(current, "logs", "node-30000.log"), LogsCommand.Resolve("node-30000.log", folders));
        Assert.Contains(Path.Combine(killed, "logs"), LogsCommand.Listing(folders, paths), StringComparison.Ordinal);
    }

    /// <summary>The pid of a process that has exited and been reaped.</summary>
    private static int ExitedPid()
    {
        using var process = System.Diagnostics.Process.Start("true")!;
        process.WaitForExit();
        return process.Id;
    }

    [Fact]
    public void The_tail_keeps_the_last_lines_and_all_of_a_short_file()
    {
        var path = Path.Combine(_folder, "node-1.log");
        File.WriteAllLines(path, Enumerable.Range(1, 10).Select(i => $"line {i}"));
        using var log = File.OpenRead(path);

        Assert.Equal(["line 8", "line 9", "line 10"], LogsCommand.LastLines(log, 3));
        log.Position = 0;
        Assert.Equal(10, LogsCommand.LastLines(log, 100).Count);
        log.Position = 0;
        Assert.Empty(LogsCommand.LastLines(log, 0));
    }

    [Fact]
    public async Task Follow_prints_whole_appended_lines_and_goes_on_in_the_new_file_after_a_rotation()
    {
        var path = Path.Combine(_folder, "node-2.log");
        await File.WriteAllTextAsync(path, "before\n");
        var output = new StringWriter();
        using var stop = new CancellationTokenSource();
        var following = LogsCommand.FollowAsync(path, new FileInfo(path).Length, TextWriter.Synchronized(output), stop.Token);

        await File.AppendAllTextAsync(path, "first\nhalf");
        await Poll.UntilAsync(() => output.ToString() == "first\n", Deadline, "the appended whole line, not the partial one");
        await File.AppendAllTextAsync(path, " done\n");
        await Poll.UntilAsync(() => output.ToString() == "first\nhalf done\n", Deadline, "the partial line once it ends");

        // A rotation: the node's log moves aside and a new, shorter file starts.
        File.Move(path, path + ".1");
        await File.WriteAllTextAsync(path, "new\n");
        await Poll.UntilAsync(() => output.ToString().EndsWith("new\n", StringComparison.Ordinal), Deadline, "the new file's line");

        await stop.CancelAsync();
        await following.WaitAsync(Deadline);
        Assert.DoesNotContain("before", output.ToString(), StringComparison.Ordinal);
    }
}
