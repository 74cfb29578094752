using System.Diagnostics;
using OrleansRay.Silo.Cli;
using OrleansRay.Silo.Commands;
using OrleansRay.Silo.Dashboard;
using Spectre.Console;
using Xunit;

namespace OrleansRay.Dashboard.Tests.Cli;

/// <summary>Two heads on one machine (one root, two ports): each has its session folder, and <c>session_latest</c> is the
/// newer one's. A command aimed at the older head finds that head's session by its pid file (<see cref="CliPaths.RunningNodeAt"/>),
/// as <c>job submit</c> (where the job's log goes) and <c>status</c> (its <c>Logs:</c> line) do. The pid files name this
/// test's own process, so they read as running nodes without starting any.</summary>
public sealed class HeadSessionTests : IDisposable
{
    private const string OlderHead = "127.0.0.1:30000";
    private const string NewerHead = "127.0.0.1:30001";
    private const string StaleHead = "127.0.0.1:30002";

    private readonly string _root = Directory.CreateTempSubdirectory("orleansray-sessions-").FullName;
    private readonly CliPaths _paths;
    private readonly string _olderSession;
    private readonly string _newerSession;

    public HeadSessionTests()
    {
        _paths = new CliPaths(_root);
        _olderSession = _paths.CreateSession();
        _newerSession = _paths.CreateSession();
        using var self = Process.GetCurrentProcess();
        var started = self.StartTime.ToUniversalTime();
        Write(30000, new NodeRecord(Environment.ProcessId, started, OlderHead, 40000, IsHead: true, _olderSession, Path.Combine(_olderSession, "logs", "node-30000.log")));
        Write(30001, new NodeRecord(Environment.ProcessId, started, NewerHead, 40001, IsHead: true, _newerSession, Path.Combine(_newerSession, "logs", "node-30001.log")));
        // A head killed without removing its pid file: its process (this pid, another start time) is gone.
        Write(30002, new NodeRecord(Environment.ProcessId, started.AddDays(-1), StaleHead, 40002, IsHead: true, _olderSession, Path.Combine(_olderSession, "logs", "node-30002.log")));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void Write(int port, NodeRecord record) => CliPaths.WriteAtomically(_paths.PidFile(port), record.ToJson());

    [Fact]
    public void The_older_heads_session_is_found_by_its_address_though_session_latest_is_the_newer_heads()
    {
        Assert.Equal(_newerSession, _paths.CurrentSession());

        Assert.Equal(_olderSession, _paths.RunningNodeAt(OlderHead)?.Session);
        Assert.Equal(_olderSession, _paths.RunningNodeAt("localhost:30000")?.Session);
        Assert.Equal(_newerSession, _paths.RunningNodeAt(NewerHead)?.Session);
        Assert.Null(_paths.RunningNodeAt(StaleHead));
        Assert.Null(_paths.RunningNodeAt("127.0.0.1:30003"));
        Assert.Null(_paths.RunningNodeAt("10.0.0.5:30000"));
    }

    [Fact]
    public void Status_prints_the_log_folder_of_the_head_it_reports_and_says_so_when_it_falls_back_to_session_latest()
    {
        var older = Render(OlderHead);
        var newer = Render(NewerHead);
        var remote = Render("10.0.0.5:30000");

        Assert.Contains($"Logs: {Path.Combine(_olderSession, "logs")} (the head at {OlderHead})\n", older, StringComparison.Ordinal);
        Assert.DoesNotContain(_newerSession, older, StringComparison.Ordinal);
        Assert.Contains($"Logs: {Path.Combine(_newerSession, "logs")} (the head at {NewerHead})\n", newer, StringComparison.Ordinal);
        Assert.Contains($"Logs: {Path.Combine(_paths.LatestSession, "logs")} (the newest session here: no node at 10.0.0.5:30000 runs on this machine, so its own log folder is not known)\n", remote, StringComparison.Ordinal);
    }

    private string Render(string address)
    {
        using var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 400;
        StatusCommand.Render(console, address, _paths, ClusterSnapshot.From([], [], DateTimeOffset.UtcNow));
        return writer.ToString().ReplaceLineEndings("\n");
    }
}
