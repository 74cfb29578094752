using System.Diagnostics;
using OrleansRay.Silo.Cli;
using Xunit;

namespace OrleansRay.Dashboard.Tests.Cli;

/// <summary>A node's pid file names a live node only while its process runs: a killed node whose process is not reaped
/// yet (a zombie, until whoever adopted it reaps it, which a container's first process may never do) is not running, or
/// <c>start --head</c> refuses because "a head already runs" and <c>stop</c> reports stopping a dead node.</summary>
public sealed class NodeProcessesTests
{
    [Fact]
    public async Task An_exited_process_not_yet_reaped_is_not_a_running_node()
    {
        // `sleep 0` becomes a child of the process that then execs `sleep 60`, which never waits for it: once it exits it
        // stays a zombie for as long as its parent lives.
        using var parent = Process.Start(new ProcessStartInfo("sh", ["-c", "sleep 0 & echo $!; exec sleep 60"]) { RedirectStandardOutput = true })!;
        try
        {
            var pid = int.Parse((await parent.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)))!, System.Globalization.CultureInfo.InvariantCulture);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (!NodeProcesses.IsZombie(pid))
            {
                Assert.True(DateTime.UtcNow < deadline, $"process {pid} did not become a zombie within 30 s");
                await Task.Delay(20);
            }

            using var zombie = Process.GetProcessById(pid);
            Assert.False(zombie.HasExited); // what the check trusted before: .NET counts a zombie as running
            Assert.Null(NodeProcesses.TryGetProcess(pid, zombie.StartTime.ToUniversalTime()));

            // A live process is still found, and a live process is no zombie.
            Assert.False(NodeProcesses.IsZombie(parent.Id));
            using var live = NodeProcesses.TryGetProcess(parent.Id, parent.StartTime.ToUniversalTime());
            Assert.NotNull(live);
        }
        finally
        {
            parent.Kill();
            await parent.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task Stopping_a_node_that_becomes_a_zombie_on_SIGTERM_returns_instead_of_waiting_for_its_reaping()
    {
        // `sleep 120` stands for the node: the child of a process that never waits for it, so SIGTERM leaves it a zombie.
        using var parent = Process.Start(new ProcessStartInfo("sh", ["-c", "sleep 120 & echo $!; exec sleep 180"]) { RedirectStandardOutput = true })!;
        try
        {
            var pid = int.Parse((await parent.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)))!, System.Globalization.CultureInfo.InvariantCulture);
            using var node = Process.GetProcessById(pid);

            // Before, .NET's wait for a process not its child never ended for a zombie: the stop hung after its SIGKILL.
            Assert.True(await NodeProcesses.StopAsync(node, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60)), "it ended on SIGTERM");
            Assert.True(NodeProcesses.IsZombie(pid));
        }
        finally
        {
            parent.Kill();
            await parent.WaitForExitAsync();
        }
    }
}
