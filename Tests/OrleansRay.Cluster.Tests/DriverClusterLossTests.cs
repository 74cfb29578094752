using System.Diagnostics;
using System.Globalization;
using System.Text;
using OrleansRay.Cluster.Tests.Fixtures;
using OrleansRay.Tests.Processes;
using Xunit;
using Xunit.Abstractions;

namespace OrleansRay.Cluster.Tests;

/// <summary>A connected driver process awaiting a task: when the node it connected through is killed with kill -9 (the
/// head, or a worker), its get fails at once with <c>ClusterLostException</c> naming that node, which ends the process;
/// when the head is paused past the driver's reconnect timeout (<c>ORLEANSRAY_HEAD_RECONNECT_TIMEOUT_S</c>), it fails
/// so after that timeout; before, it hung forever with an Orleans warning stack every few seconds (reviewer's defect). A head silent for less than that timeout (stopped with
/// SIGSTOP, then continued) costs the driver nothing: its task ends and it exits normally.</summary>
public sealed class DriverClusterLossTests : IAsyncLifetime
{
    /// <summary>The reconnect timeout of a driver whose node is killed: far beyond <see cref="ExitDeadline"/>.</summary>
    private const int LongTimeoutSeconds = 600;

    /// <summary>The reconnect timeout of a driver whose head is paused until it gives up.</summary>
    private const int ShortTimeoutSeconds = 5;

    /// <summary>The driver connects and submits: seconds when idle.</summary>
    private static readonly TimeSpan ReadyDeadline = TimeSpan.FromSeconds(120);

    /// <summary>The short timeout, or the check that the node is gone, and a loaded machine's slack.</summary>
    private static readonly TimeSpan ExitDeadline = TimeSpan.FromSeconds(60);

    /// <summary>The reconnect timeout of the driver whose head is paused: well above the pause and a loaded machine's slack.</summary>
    private const int SilentHeadTimeoutSeconds = 30;

    /// <summary>How long the head is paused: longer than the cluster's 15 s deadline for a silent driver (the head must
    /// not count its own pause as the driver's silence; the rule itself: <c>DriverSilenceTests</c>), and two thirds of
    /// the driver's reconnect timeout.</summary>
    private static readonly TimeSpan SilentHeadPause = TimeSpan.FromSeconds(20);

    private readonly ITestOutputHelper _output;
    private LocalCluster? _cluster;

    public DriverClusterLossTests(ITestOutputHelper output) => _output = output;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_driver_whose_head_was_killed_gives_it_up_at_once_with_ClusterLostException()
    {
        var cluster = _cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 1 });
        var output = await KillAndAwaitExitAsync(cluster, through: cluster.Head, victim: cluster.Head, pinnedTo: cluster.Head);
        Assert.Contains($"Unhandled exception. OrleansRay.ClusterLostException: The OrleansRay node at {cluster.Address}, through which this driver connected, is gone (its port refuses connections", output, StringComparison.Ordinal);
        // Said once in its log, with no Orleans stack per retry meanwhile, and no store warning with a socket's stack.
        Assert.Equal(1, Count(output, $"fail: OrleansRay.Hosting.ConnectedCluster"));
        Assert.DoesNotContain("ClientClusterManifestProvider", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Deleting object", output, StringComparison.Ordinal);
        Assert.True(Count(output, "warn:") <= 2, "warnings: " + output);
    }

    /// <summary>Reviewer's defect: a driver connected through a worker's port whose worker was killed went on for 60 s
    /// while the cluster, no longer hearing it, ended its job after 15 s (its new tasks cancelled as "its job ended", its
    /// actors killed), then said to start the cluster again. It gives up at once, naming that node and saying to
    /// connect through another.</summary>
    [Fact]
    public async Task A_driver_whose_worker_node_was_killed_gives_it_up_at_once_naming_that_node()
    {
        var cluster = _cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 1 });
        var worker = cluster.Nodes.Single(n => !n.IsHead);
        var output = await KillAndAwaitExitAsync(cluster, through: worker, victim: worker, pinnedTo: cluster.Head);
        Assert.Contains($"Unhandled exception. OrleansRay.ClusterLostException: The OrleansRay node at 127.0.0.1:{worker.Port.ToString(CultureInfo.InvariantCulture)}, through which this driver connected, is gone", output, StringComparison.Ordinal);
        Assert.Contains("If the cluster's other nodes run on, connect a new driver (Ray.InitAsync) through one of them", output, StringComparison.Ordinal);
        Assert.DoesNotContain("its job ended", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_driver_whose_head_is_silent_past_the_reconnect_timeout_gives_it_up_with_ClusterLostException()
    {
        // The head alone, paused: its port accepts connections (the kernel does) but nothing answers, which only the
        // timeout tells from a slow head. With a worker, the worker would vote the paused head dead within ~3 s.
        var cluster = _cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 0 });
        var start = TestAppDriver.ConnectedDriver(cluster, "await-head", cluster.Head.NodeIdPrefix);
        start.Environment["ORLEANSRAY_HEAD_RECONNECT_TIMEOUT_S"] = ShortTimeoutSeconds.ToString(CultureInfo.InvariantCulture);
        using var driver = new TestAppProcess(start);
        var paused = false;
        try
        {
            await driver.WaitForAsync("awaiting a task on " + cluster.Head.NodeIdPrefix, ReadyDeadline);
            var sincePause = Stopwatch.StartNew();
            await ProcessTree.PauseAsync(cluster.Head.Process);
            paused = true;
            await driver.WaitForExitAsync(ExitDeadline);
            var elapsed = sincePause.Elapsed;
            var output = driver.Output;
            _output.WriteLine($"the driver exited {elapsed.TotalSeconds:0.0} s after the head was paused, code {driver.ExitCode}:\n{output}");
            Assert.Contains($"Unhandled exception. OrleansRay.ClusterLostException: The OrleansRay cluster at {cluster.Address} has not answered this driver for ", output, StringComparison.Ordinal);
            Assert.Contains("RayOptions.ReconnectTimeout or $ORLEANSRAY_HEAD_RECONNECT_TIMEOUT_S", output, StringComparison.Ordinal);
            Assert.NotEqual(0, driver.ExitCode);
            // Its last answer came at most a refresh (0.3 s) before the pause.
            Assert.True(elapsed >= TimeSpan.FromSeconds(ShortTimeoutSeconds - 0.5), $"gave up after {elapsed.TotalSeconds:0.0} s, before its timeout");
            Assert.Equal(1, Count(output, $"fail: OrleansRay.Hosting.ConnectedCluster"));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _output.WriteLine($"--- driver:\n{driver}\n--- cluster:\n{cluster.Diagnostics()}");
            throw;
        }
        finally
        {
            if (paused)
            {
                await ProcessTree.ResumeAsync(cluster.Head.Process);
            }
        }
    }

    /// <summary>Reviewer's defect: a driver cut off for longer than the cluster's 15 s driver deadline (here: the driver
    /// process paused) but shorter than its reconnect timeout came back to a cluster that had ended its job, and went on
    /// forever with every task cancelled as "its job ended". Once its view refreshes again after such a silence, it asks
    /// the job table and gives the cluster up with ClusterLostException saying so.</summary>
    [Fact]
    public async Task A_driver_whose_job_the_cluster_ended_while_it_was_cut_off_gives_it_up()
    {
        var cluster = _cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 0 });
        var start = TestAppDriver.ConnectedDriver(cluster, "steady");
        start.Environment["ORLEANSRAY_HEAD_RECONNECT_TIMEOUT_S"] = LongTimeoutSeconds.ToString(CultureInfo.InvariantCulture);
        using var driver = new TestAppProcess(start);
        var paused = false;
        try
        {
            await driver.WaitForAsync("round 3 ok", ReadyDeadline);
            var jobs = await cluster.RunAsync("job", "list");
            Assert.Contains("RUNNING", jobs.Output, StringComparison.Ordinal);

            // The stimulus: the driver answers nothing while the cluster's deadline for a silent driver passes and
            // the cluster ends its job (waited for as a condition; its actor holds the job's work on the head).
            await ProcessTree.PauseAsync(driver.Identity);
            paused = true;
            await Poll.UntilAsync(async () => (await cluster.RunAsync("job", "list")).Output.Contains("FAILED", StringComparison.Ordinal), ExitDeadline, "the cluster to end the paused driver's job");
            await ProcessTree.ResumeAsync(driver.Identity);
            paused = false;

            await driver.WaitForExitAsync(ExitDeadline);
            var output = driver.Output;
            _output.WriteLine($"the driver exited with code {driver.ExitCode}:\n{output}");
            Assert.Contains($"Unhandled exception. OrleansRay.ClusterLostException: The OrleansRay cluster at {cluster.Address} answers this driver again after ", output, StringComparison.Ordinal);
            Assert.Contains("but it ended the driver's job meanwhile", output, StringComparison.Ordinal);
            Assert.NotEqual(0, driver.ExitCode);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _output.WriteLine($"--- driver:\n{driver}\n--- cluster:\n{cluster.Diagnostics()}");
            throw;
        }
        finally
        {
            if (paused)
            {
                await ProcessTree.ResumeAsync(driver.Identity);
            }
        }
    }

    /// <summary>Starts the TestApp driver connected through <paramref name="through"/>'s client port, awaiting a task
    /// pinned to <paramref name="pinnedTo"/> that never ends; kills <paramref name="victim"/> with kill -9 and returns the
    /// driver's output once it exited (non-zero). Its reconnect timeout (<see cref="LongTimeoutSeconds"/>) is far beyond
    /// the exit deadline, so an exit proves it gave up because the node was gone.</summary>
    private async Task<string> KillAndAwaitExitAsync(LocalCluster cluster, ClusterNode through, ClusterNode victim, ClusterNode pinnedTo)
    {
        var start = TestAppDriver.ConnectedDriver(cluster, "await-head", pinnedTo.NodeIdPrefix);
        start.Environment["ORLEANSRAY_ADDRESS"] = "127.0.0.1:" + through.Port.ToString(CultureInfo.InvariantCulture);
        start.Environment["ORLEANSRAY_HEAD_RECONNECT_TIMEOUT_S"] = LongTimeoutSeconds.ToString(CultureInfo.InvariantCulture);
        using var driver = new TestAppProcess(start);
        try
        {
            await driver.WaitForAsync("awaiting a task on " + pinnedTo.NodeIdPrefix, ReadyDeadline);
            var sinceKill = Stopwatch.StartNew();
            await cluster.KillAsync(victim);
            await driver.WaitForExitAsync(ExitDeadline);
            var output = driver.Output;
            _output.WriteLine($"the driver exited {sinceKill.Elapsed.TotalSeconds:0.0} s after kill -9 of {victim}, code {driver.ExitCode}:\n{output}");
            Assert.NotEqual(0, driver.ExitCode);
            return output;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _output.WriteLine($"--- driver:\n{driver}\n--- cluster:\n{cluster.Diagnostics()}");
            throw;
        }
    }

    [Fact]
    public async Task A_driver_whose_head_was_silent_for_less_than_the_reconnect_timeout_keeps_its_work()
    {
        // The head alone: with a worker, the worker's membership probes would vote the stopped head dead within ~3 s.
        var cluster = _cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 0 });
        var release = Path.Combine(cluster.TempDirectory, "release-" + Guid.NewGuid().ToString("N"));
        var start = TestAppDriver.ConnectedDriver(cluster, "await-head", cluster.Head.NodeIdPrefix, release);
        start.Environment["ORLEANSRAY_HEAD_RECONNECT_TIMEOUT_S"] = SilentHeadTimeoutSeconds.ToString(CultureInfo.InvariantCulture);
        using var driver = new TestAppProcess(start);
        var paused = false;
        try
        {
            await driver.WaitForAsync("awaiting a task on " + cluster.Head.NodeIdPrefix, ReadyDeadline);

            // The stimulus, not a wait for a condition: the head answers nothing for a set time, well past the driver's
            // 0.3 s view refreshes and well inside its reconnect timeout.
            await ProcessTree.PauseAsync(cluster.Head.Process);
            paused = true;
            await Task.Delay(SilentHeadPause);
            await ProcessTree.ResumeAsync(cluster.Head.Process);
            paused = false;

            File.WriteAllText(release, "go");
            await driver.WaitForExitAsync(ExitDeadline);
            var output = driver.Output;
            _output.WriteLine($"the driver exited with code {driver.ExitCode}:\n{output}");
            Assert.Equal(0, driver.ExitCode);
            Assert.Contains("released on " + cluster.Head.NodeIdPrefix, output, StringComparison.Ordinal);
            Assert.DoesNotContain("ClusterLostException", output, StringComparison.Ordinal);
            Assert.DoesNotContain("fail:", output, StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _output.WriteLine($"--- driver:\n{driver}\n--- cluster:\n{cluster.Diagnostics()}");
            throw;
        }
        finally
        {
            if (paused)
            {
                await ProcessTree.ResumeAsync(cluster.Head.Process);
            }
        }
    }

    /// <summary>Reviewer's defect: control calls (nodes, the state API) waiting for their answer when the driver's node
    /// died were ended by Orleans' 30 s response timeout, long after the driver had given its cluster up (~3 s): they
    /// now throw <c>ClusterLostException</c> with the verdict. The calls are made while the head is paused (so they are
    /// surely waiting), then the head is killed.</summary>
    [Fact]
    public async Task Control_calls_waiting_when_the_drivers_node_dies_end_with_the_drivers_verdict()
    {
        var cluster = _cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 0 });
        var ask = Path.Combine(cluster.TempDirectory, "ask-" + Guid.NewGuid().ToString("N"));
        var start = TestAppDriver.ConnectedDriver(cluster, "ask-when", ask);
        start.Environment["ORLEANSRAY_HEAD_RECONNECT_TIMEOUT_S"] = LongTimeoutSeconds.ToString(CultureInfo.InvariantCulture);
        using var driver = new TestAppProcess(start);
        var paused = false;
        try
        {
            await driver.WaitForAsync("connected", ReadyDeadline);
            await ProcessTree.PauseAsync(cluster.Head.Process);
            paused = true;
            File.WriteAllText(ask, "go");
            await driver.WaitForAsync("asking", ReadyDeadline);
            await cluster.KillAsync(cluster.Head);
            paused = false;
            await driver.WaitForExitAsync(ExitDeadline);
            var output = driver.Output;
            _output.WriteLine(output);

            foreach (var call in new[] { "NodesAsync", "State.ListActorsAsync" })
            {
                var line = output.Split('\n').Single(l => l.StartsWith($"ASK {call}: ", StringComparison.Ordinal)).Trim();
                Assert.StartsWith($"ASK {call}: ClusterLostException after ", line, StringComparison.Ordinal);

                // Which mechanism ended it, not how fast: the driver's verdict comes ~3 s after the kill, Orleans'
                // response timeout 30 s after the call.
                var waited = int.Parse(line.Split(' ')[^2], CultureInfo.InvariantCulture);
                Assert.True(waited < 20_000, $"{call} waited {waited} ms: ended by Orleans' response timeout, not by the driver's verdict");
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _output.WriteLine($"--- driver:\n{driver}\n--- cluster:\n{cluster.Diagnostics()}");
            throw;
        }
        finally
        {
            if (paused)
            {
                await ProcessTree.ResumeAsync(cluster.Head.Process);
            }
        }
    }

    private static int Count(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
