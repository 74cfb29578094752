using System.Globalization;
using System.Text.Json;
using OrleansRay.Tests.Processes;
using Xunit;

namespace OrleansRay.Cluster.Tests;

/// <summary>Issue 9, case 11: without <c>--storage</c> the head holds the cluster's membership; a worker whose head was
/// killed (and restarted on the same ports: a new, empty cluster) cannot rejoin, so it exits with a line in its log
/// saying why and how to start it again, instead of running on and logging many lines a second.</summary>
public sealed class HeadRestartTests : IDisposable
{
    /// <summary>How long the worker waits for a silent head here (ORLEANSRAY_HEAD_RECONNECT_TIMEOUT_S; 60 s by default).</summary>
    private const int ReconnectTimeoutSeconds = 15;

    /// <summary>The reconnect timeout, the silo's stop (up to 20 s), and room for a loaded machine.</summary>
    private static readonly TimeSpan WorkerExitDeadline = TimeSpan.FromSeconds(ReconnectTimeoutSeconds + 120);

    private static readonly string StoreBytes = (64L << 20).ToString(CultureInfo.InvariantCulture);

    private readonly OrleansRayCommand _command = new("orh-", new Dictionary<string, string> { ["ORLEANSRAY_HEAD_RECONNECT_TIMEOUT_S"] = ReconnectTimeoutSeconds.ToString(CultureInfo.InvariantCulture) });

    [Fact]
    public async Task A_worker_whose_head_was_killed_and_restarted_exits_with_a_clear_message()
    {
        var port = Text(TestPorts.Free());
        string[] headArguments = ["start", "--head", "--port", port, "--dashboard-port", Text(TestPorts.Free()), "--num-cpus", "1", "--object-store-memory", StoreBytes];
        var head = await _command.RunAsync(headArguments);
        Assert.True(head.ExitCode == 0, head.ToString());
        var headPid = Assert.Single(_command.NodePids());
        var worker = await _command.RunAsync("start", "--address", "127.0.0.1:" + port, "--num-cpus", "1", "--object-store-memory", StoreBytes);
        Assert.True(worker.ExitCode == 0, worker.ToString());
        var (workerPid, workerLog) = Worker(headPid);
        ProcessResult? status = null;
        await Poll.UntilAsync(
            async () => (status = await _command.RunAsync("status")).Output.Contains("Active: 2 node(s)", StringComparison.Ordinal),
            TimeSpan.FromSeconds(60),
            "status to list both nodes",
            () => status?.ToString() ?? "(no status yet)");

        OrleansRayCommand.Kill(headPid);
        // Restarted as a person would: the same command (the same client port; a node port of its own choosing).
        var restarted = await _command.RunAsync(headArguments);
        Assert.True(restarted.ExitCode == 0, restarted.ToString());

        await Poll.UntilAsync(() => !OrleansRayCommand.IsRunning(workerPid), WorkerExitDeadline, $"worker {workerPid} to exit after losing its head");
        var log = await File.ReadAllTextAsync(workerLog);
        Assert.True(log.Contains($"Lost the head at 127.0.0.1:{port}", StringComparison.Ordinal), "worker log:\n" + Tail(log));
        Assert.DoesNotContain("is not a positive number of seconds", log, StringComparison.Ordinal);
        Assert.Contains($"orleansray start --address 127.0.0.1:{port}", log, StringComparison.Ordinal);
        var stop = await _command.RunAsync("stop");
        Assert.True(stop.ExitCode == 0, stop.ToString());
    }

    /// <summary>The worker's pid and log file, from its pid file (the node that is not the head).</summary>
    private (int Pid, string LogFile) Worker(int headPid)
    {
        foreach (var file in Directory.EnumerateFiles(_command.NodesDirectory, "node-*.json"))
        {
            using var document = JsonDocument.Parse(File.ReadAllText(file));
            var pid = document.RootElement.GetProperty("Pid").GetInt32();
            if (pid != headPid)
            {
                return (pid, document.RootElement.GetProperty("LogFile").GetString()!);
            }
        }

        throw new InvalidOperationException("no worker pid file");
    }

    private static string Tail(string log) => string.Join('\n', log.Split('\n').TakeLast(40));

    private static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);

    public void Dispose() => _command.Dispose();
}
