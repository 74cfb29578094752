using System.Diagnostics;
using System.Globalization;
using System.Text;
using OrleansRay.Cluster.TestApp;
using OrleansRay.Cluster.Tests.Fixtures;
using OrleansRay.Tests.Processes;
using Xunit;
using Xunit.Abstractions;

namespace OrleansRay.Cluster.Tests;

/// <summary>Ray's <c>log_to_driver</c> on real processes: connected drivers (the TestApp's <c>logs</c> verb, each its own
/// process) run a task that prints two lines to stdout and one to stderr, a nested task that prints, and an actor method
/// that prints, all pinned to one worker started with <c>orleansray start</c>. A driver with <c>LogToDriver</c> on shows
/// each line on its stdout or stderr prefixed with the function's or actor class's name, the worker's pid and address; a
/// submitted job's <c>job logs</c> shows them too; a driver with it off shows none; the worker's log has them all.</summary>
[Collection(ClusterCollection.Name)]
public sealed class LogToDriverTests : IAsyncLifetime
{
    /// <summary>A driver connects, runs three small calls and receives their output: seconds when idle.</summary>
    private static readonly TimeSpan DriverDeadline = TimeSpan.FromSeconds(120);

    private readonly SharedCluster _shared;
    private readonly ITestOutputHelper _output;

    public LogToDriverTests(SharedCluster shared, ITestOutputHelper output)
    {
        _shared = shared;
        _output = output;
    }

    private LocalCluster Cluster => _shared.Cluster;

    public Task InitializeAsync() => _shared.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Task_nested_task_and_actor_output_reaches_the_driver_prefixed_with_where_it_ran_unless_LogToDriver_is_off()
    {
        var worker = _shared.Workers[0];
        var (on, off, submitted) = (Token("on"), Token("off"), Token("job"));
        using var quiet = new DriverProcess(worker, off, logToDriver: false);
        using var chatty = new DriverProcess(worker, on, logToDriver: true);
        var jobId = "logs-" + Guid.NewGuid().ToString("N")[..8];
        Task<ProcessResult>? job = null;
        try
        {
            // The driver with LogToDriver off runs first and stays connected: whatever the node would send it arrives while
            // the others run.
            quiet.Start(Cluster);
            await quiet.WaitForAsync("ran on ", DriverDeadline);

            chatty.Start(Cluster);
            // The submitted job also floods, and its driver ends as soon as its work returned: what the node still holds
            // for it then reaches it as it ends its job (a reviewer's job log had lost most of its tasks' lines).
            job = Cluster.RunAsync(["job", "submit", "--job-id", jobId, "--wait", "--", .. TestAppDriver.Command("logs", worker.NodeIdPrefix, submitted, "flood")]);
            await chatty.WaitForExitAsync(DriverDeadline);
            Assert.True(chatty.ExitCode == 0, $"the driver with LogToDriver on failed:\n{chatty}");

            // Each line on the driver's stream it was written to, prefixed as Ray does: (NAME pid=PID, ip=ADDRESS).
            var where = string.Create(CultureInfo.InvariantCulture, $"pid={worker.Process.Pid}, ip=127.0.0.1)");
            Assert.Contains($"(Chatter.Speak {where} {on} out 1\n", chatty.Output, StringComparison.Ordinal);
            Assert.Contains($"(Chatter.Speak {where} {on} out 2\n", chatty.Output, StringComparison.Ordinal);
            Assert.Contains($"(Chatter.Speak {where} {on} err\n", chatty.Error, StringComparison.Ordinal);
            Assert.Contains($"(Chatter.Whisper {where} {on} nested\n", chatty.Output, StringComparison.Ordinal);
            Assert.Contains($"(Chatterbox {where} {on} actor\n", chatty.Output, StringComparison.Ordinal);
            Assert.DoesNotContain($"{on} err", chatty.Output, StringComparison.Ordinal);

            // A submitted job's log is its driver's output: `job logs` shows the lines too.
            var submit = await job;
            Assert.True(submit.ExitCode == 0, submit.ToString());
            var logs = await Cluster.RunAsync("job", "logs", jobId);
            Assert.True(logs.ExitCode == 0, logs.ToString());
            foreach (var line in Chatter.Lines)
            {
                Assert.Contains($" {where} {submitted} {line}", logs.Output, StringComparison.Ordinal);
            }

            var flooded = logs.Output.Split('\n').Count(l => l.StartsWith($"(Chatter.Flood {where} {submitted} flood ", StringComparison.Ordinal));
            Assert.True(flooded == Chatter.FloodLines, $"{flooded} of the {Chatter.FloodLines} flood lines reached the job's log");
            Assert.DoesNotContain("lines of task output", logs.Output, StringComparison.Ordinal);

            // The quiet driver: none of its job's lines, though they were written on the node before the others'.
            quiet.EndInput();
            await quiet.WaitForExitAsync(DriverDeadline);
            Assert.True(quiet.ExitCode == 0, $"the driver with LogToDriver off failed:\n{quiet}");
            Assert.DoesNotContain(off, quiet.Output + quiet.Error, StringComparison.Ordinal);

            // The worker's own log has every line of all three.
            var nodeLog = File.ReadAllText(worker.LogFile!);
            foreach (var token in new[] { on, off, submitted })
            {
                foreach (var line in Chatter.Lines)
                {
                    Assert.Contains($"{token} {line}\n", nodeLog, StringComparison.Ordinal);
                }
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _output.WriteLine($"--- driver (on):\n{chatty}\n--- driver (off):\n{quiet}\n--- worker:\n{worker.LogTail(60)}\n--- cluster:\n{Cluster.Diagnostics()}");
            throw;
        }
        finally
        {
            if (job is { IsCompleted: false })
            {
                // Failed before the job ended: stop it, and let its `submit --wait` return.
                _output.WriteLine((await Cluster.RunAsync("job", "stop", jobId)).ToString());
                _ = await job;
            }
        }
    }

    private static string Token(string kind) => $"chatter-{kind}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>The TestApp's <c>logs</c> verb as a connected driver (its own process, not a submitted job), its stdout and
    /// stderr kept apart; killed on dispose if still running.</summary>
    private sealed class DriverProcess : IDisposable
    {
        private readonly string[] _arguments;
        private readonly StringBuilder _stdout = new();
        private readonly StringBuilder _stderr = new();
        private Process? _process;

        public DriverProcess(ClusterNode node, string token, bool logToDriver)
        {
            _arguments = logToDriver ? ["logs", node.NodeIdPrefix, token] : ["logs", node.NodeIdPrefix, token, "off"];
        }

        public string Output => Read(_stdout);

        public string Error => Read(_stderr);

        public int ExitCode => _process!.ExitCode;

        public void Start(LocalCluster cluster)
        {
            var start = TestAppDriver.ConnectedDriver(cluster, _arguments);
            start.RedirectStandardInput = true; // closing it ends the `off` driver
            _process = Process.Start(start) ?? throw new InvalidOperationException("could not start the TestApp");
            _process.OutputDataReceived += (_, e) => Append(_stdout, e.Data);
            _process.ErrorDataReceived += (_, e) => Append(_stderr, e.Data);
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        /// <summary>Waits until the driver's stdout has <paramref name="text"/> (or it exited, or the deadline passed).</summary>
        public async Task WaitForAsync(string text, TimeSpan deadline)
        {
            await Poll.UntilAsync(
                () => Task.FromResult(Output.Contains(text, StringComparison.Ordinal) || _process!.HasExited),
                deadline,
                $"the driver to print \"{text}\"",
                ToString);
            Assert.True(Output.Contains(text, StringComparison.Ordinal), $"the driver exited without printing \"{text}\":\n{this}");
        }

        public async Task WaitForExitAsync(TimeSpan deadline)
        {
            using var timeout = new CancellationTokenSource(deadline);
            await _process!.WaitForExitAsync(timeout.Token);
            _process.WaitForExit(); // the last of stdout and stderr are read
        }

        /// <summary>Closes the driver's stdin: the <c>off</c> driver ends.</summary>
        public void EndInput() => _process!.StandardInput.Close();

        public override string ToString() => $"stdout:\n{Output}\nstderr:\n{Error}";

        public void Dispose()
        {
            if (_process is null)
            {
                return;
            }

            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill(entireProcessTree: true);
                    _process.WaitForExit();
                }
            }
            finally
            {
                _process.Dispose();
            }
        }

        private static void Append(StringBuilder text, string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (text)
            {
                text.Append(line).Append('\n');
            }
        }

        private static string Read(StringBuilder text)
        {
            lock (text)
            {
                return text.ToString();
            }
        }
    }
}
