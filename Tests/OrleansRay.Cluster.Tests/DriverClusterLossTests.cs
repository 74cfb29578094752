using System.Diagnostics;
using System.Globalization;
using System.Text;
using OrleansRay.Cluster.Tests.Fixtures;
using OrleansRay.Tests.Processes;
using Xunit;
using Xunit.Abstractions;

namespace OrleansRay.Cluster.Tests;

/// <summary>A connected driver process awaiting a task on the head, whose head is killed with kill -9: once nothing has
/// answered it for its reconnect timeout (<c>ORLEANSRAY_HEAD_RECONNECT_TIMEOUT_S</c>), its get fails with
/// <c>ClusterLostException</c> naming the cluster's address, which ends the process, instead of hanging forever with an
/// Orleans warning stack every few seconds (reviewer's defect). A head silent for less than that timeout (stopped with
/// SIGSTOP, then continued) costs the driver nothing: its task ends and it exits normally.</summary>
public sealed class DriverClusterLossTests : IAsyncLifetime
{
    private const int ReconnectTimeoutSeconds = 10;

    /// <summary>The driver connects and submits: seconds when idle.</summary>
    private static readonly TimeSpan ReadyDeadline = TimeSpan.FromSeconds(120);

    /// <summary>The timeout and a loaded machine's slack.</summary>
    private static readonly TimeSpan ExitDeadline = TimeSpan.FromSeconds(ReconnectTimeoutSeconds + 60);

    /// <summary>The reconnect timeout of the driver whose head is paused: well above the pause and a loaded machine's slack.</summary>
    private const int SilentHeadTimeoutSeconds = 30;

    /// <summary>How long the head is paused: 25 of the driver's view refreshes, a third of its reconnect timeout.</summary>
    private static readonly TimeSpan SilentHeadPause = TimeSpan.FromSeconds(8);

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
    public async Task A_driver_whose_head_was_killed_fails_its_get_with_ClusterLostException_within_the_reconnect_timeout()
    {
        var cluster = _cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 1 });
        var start = TestAppDriver.ConnectedDriver(cluster, "await-head", cluster.Head.NodeIdPrefix);
        start.Environment["ORLEANSRAY_HEAD_RECONNECT_TIMEOUT_S"] = ReconnectTimeoutSeconds.ToString(CultureInfo.InvariantCulture);
        using var driver = new DriverProcess(start);
        try
        {
            await driver.WaitForAsync("awaiting a task on " + cluster.Head.NodeIdPrefix, ReadyDeadline);
            var sinceKill = Stopwatch.StartNew();
            await cluster.KillAsync(cluster.Head);

            await driver.WaitForExitAsync(ExitDeadline);
            var elapsed = sinceKill.Elapsed;
            var output = driver.Output;
            _output.WriteLine($"the driver exited {elapsed.TotalSeconds:0.0} s after kill -9 of the head, code {driver.ExitCode}:\n{output}");
            Assert.Contains($"Unhandled exception. OrleansRay.ClusterLostException: The OrleansRay cluster at {cluster.Address} has not answered this driver for ", output, StringComparison.Ordinal);
            Assert.NotEqual(0, driver.ExitCode);
            // Its last answer came at most a refresh (0.3 s) before the kill.
            Assert.True(elapsed >= TimeSpan.FromSeconds(ReconnectTimeoutSeconds - 0.5), $"gave up after {elapsed.TotalSeconds:0.0} s, before its timeout");
            // Said once in its log, with no Orleans stack per retry meanwhile.
            Assert.Equal(1, Count(output, $"fail: OrleansRay.Hosting.ConnectedCluster"));
            Assert.DoesNotContain("ClientClusterManifestProvider", output, StringComparison.Ordinal);
            Assert.True(Count(output, "warn:") <= 2, "warnings: " + output);
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
        using var driver = new DriverProcess(start);
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

    private static int Count(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    /// <summary>The TestApp as a connected driver (its own process), its output kept; killed on dispose if running.</summary>
    private sealed class DriverProcess : IDisposable
    {
        private readonly StringBuilder _output = new();
        private readonly Process _process;

        public DriverProcess(ProcessStartInfo start)
        {
            _process = Process.Start(start) ?? throw new InvalidOperationException("could not start the TestApp");
            _process.OutputDataReceived += (_, e) => Append(e.Data);
            _process.ErrorDataReceived += (_, e) => Append(e.Data);
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        public int ExitCode => _process.ExitCode;

        public async Task WaitForAsync(string text, TimeSpan deadline)
        {
            await Poll.UntilAsync(() => Task.FromResult(Output.Contains(text, StringComparison.Ordinal) || _process.HasExited), deadline, $"the driver to print \"{text}\"", () => Output);
            Assert.True(Output.Contains(text, StringComparison.Ordinal), $"the driver exited without printing \"{text}\":\n{Output}");
        }

        public async Task WaitForExitAsync(TimeSpan deadline)
        {
            using var timeout = new CancellationTokenSource(deadline);
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"the driver did not exit within {deadline.TotalSeconds:0} s:\n{Output}");
            }

            _process.WaitForExit(); // the last of its output is read
        }

        public override string ToString() => $"exit {(_process.HasExited ? _process.ExitCode.ToString(CultureInfo.InvariantCulture) : "none yet")}, output:\n{Output}";

        public void Dispose()
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill(entireProcessTree: true);
                    _process.WaitForExit();
                }
            }
            catch (InvalidOperationException)
            {
                // It has exited meanwhile.
            }

            _process.Dispose();
        }

        private void Append(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }
}
