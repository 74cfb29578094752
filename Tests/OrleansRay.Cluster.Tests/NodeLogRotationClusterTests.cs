using System.Globalization;
using OrleansRay.Cluster.Tests.Fixtures;
using OrleansRay.Silo.Hosting;
using OrleansRay.Tests.Processes;
using Xunit;

namespace OrleansRay.Cluster.Tests;

/// <summary>A real background head (<c>orleansray start --head</c>) started with a 20,000-byte rotation limit and two
/// parts kept: three jobs whose tasks print 50,000 bytes each to the head's log make it rotate at least three times; two
/// parts stay (the first log, the node's start, is gone), none of the last job's lines is lost, and a line printed after the rotations lands in the log that was current when it
/// was written (the node's console follows the new file). Every node is in the command's pid files, killed on dispose.</summary>
public sealed class NodeLogRotationClusterTests
{
    private const int MaxBytes = 20_000;

    /// <summary>Lines a job's task prints: 100 bytes each.</summary>
    private const int LinesPerJob = 500;

    /// <summary>A job connects and runs one task; a rotation follows within a second of the log passing its limit.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_node_whose_tasks_print_past_the_limit_keeps_the_newest_parts_and_writes_on_in_the_current_log()
    {
        using var command = new OrleansRayCommand("orot-", new Dictionary<string, string>
        {
            [LogRotationSettings.MaxBytesVariable] = MaxBytes.ToString(CultureInfo.InvariantCulture),
            [LogRotationSettings.BackupCountVariable] = "2",
        });
        var port = Port();
        var start = await command.RunAsync(
            "start", "--head", "--port", port, "--node-port", Port(), "--dashboard-port", Port(), "--num-cpus", "1",
            "--object-store-memory", "268435456", "--load", LocalCluster.TestAppAssembly);
        Assert.True(start.ExitCode == 0, start.ToString());
        var log = Directory.GetFiles(Path.Combine(command.TempDirectory, "session_latest", "logs"), $"node-{port}.log").Single();

        try
        {
            var startup = FirstLine(log);
            for (var job = 1; job <= 3; job++)
            {
                var before = FirstLine(log);
                await PrintAsync(command, LinesPerJob, Token(job));
                await WaitAsync(() => FirstLine(log) != before && new FileInfo(log).Length < MaxBytes, $"the log to rotate after job {job}", log);
            }

            // Three rotations with two parts kept: the log and parts 1 and 2, no third part.
            Assert.Equal([$"node-{port}.log", $"node-{port}.log.1", $"node-{port}.log.2"], Directory.GetFiles(Path.GetDirectoryName(log)!, $"node-{port}.log*").Select(Path.GetFileName).Order(StringComparer.Ordinal));
            Assert.Equal(LinesPerJob, Parts(log).Sum(part => Count(part, Token(3))));
            // The first log (the node's start) rotated at least three times: deleted.
            Assert.DoesNotContain(Parts(log), part => part.Contains(startup, StringComparison.Ordinal));

            // A line printed now is in the log that is current while it is written, never in a part rotated before it.
            var current = FirstLine(log);
            await PrintAsync(command, 1, "last-one");
            await WaitAsync(() => Parts(log).Any(part => Count(part, "last-one") == 1), "the last line to reach the log", log);
            var holder = Parts(log).Single(part => Count(part, "last-one") == 1);
            Assert.True(FirstLineOf(holder) == current, $"the last line went to a part that started with '{FirstLineOf(holder)}', not to the log current when it was printed ('{current}')");
        }
        finally
        {
            var stop = await command.RunAsync("stop");
            Assert.True(stop.ExitCode == 0, stop.ToString());
        }
    }

    [Fact]
    public async Task Start_refuses_a_rotation_setting_that_is_not_a_whole_number_in_one_line()
    {
        using var command = new OrleansRayCommand("orotbad-", new Dictionary<string, string> { [LogRotationSettings.MaxBytesVariable] = "512MB" });
        var start = await command.RunAsync("start", "--head", "--port", Port(), "--node-port", Port(), "--dashboard-port", Port());
        Assert.True(start.ExitCode == 2, start.ToString());
        Assert.Equal($"error: {LogRotationSettings.MaxBytesVariable}=512MB is not a whole number from 0 to {long.MaxValue.ToString(CultureInfo.InvariantCulture)}; unset it for the default (536870912).", start.Error.Trim());
        Assert.Empty(command.NodePids());
    }

    private static string Token(int job) => string.Create(CultureInfo.InvariantCulture, $"job{job}tok");

    /// <summary>Runs the TestApp's <c>print</c> verb as a job: one task on the head prints the lines.</summary>
    private static async Task PrintAsync(OrleansRayCommand command, int lines, string token)
    {
        var submit = await command.RunAsync(["job", "submit", "--wait", "--", .. TestAppDriver.Command("print", lines.ToString(CultureInfo.InvariantCulture), token)]);
        Assert.True(submit.ExitCode == 0 && submit.Output.Contains($"printed {lines.ToString(CultureInfo.InvariantCulture)}", StringComparison.Ordinal), submit.ToString());
    }

    /// <summary>The log and its kept parts, each as its text.</summary>
    private static List<string> Parts(string log) =>
        [.. Directory.GetFiles(Path.GetDirectoryName(log)!, Path.GetFileName(log) + "*").Select(Read)];

    private static int Count(string text, string token) =>
        text.Split('\n').Count(line => line.StartsWith(token + " line ", StringComparison.Ordinal));

    private static string FirstLine(string path) => FirstLineOf(Read(path));

    private static string FirstLineOf(string text) => text.Split('\n')[0];

    private static string Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static async Task WaitAsync(Func<bool> condition, string what, string log)
    {
        var end = DateTime.UtcNow + Deadline;
        while (!Retry(condition))
        {
            Assert.True(DateTime.UtcNow < end, $"waited {Deadline.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s for {what}; the log's parts: {string.Join(", ", Directory.GetFiles(Path.GetDirectoryName(log)!).Select(f => $"{Path.GetFileName(f)} {new FileInfo(f).Length.ToString(CultureInfo.InvariantCulture)} B"))}");
            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }
    }

    /// <summary>The condition, false while a part is being moved under the reader.</summary>
    private static bool Retry(Func<bool> condition)
    {
        try
        {
            return condition();
        }
        catch (FileNotFoundException)
        {
            return false;
        }
    }

    private static string Port() => TestPorts.Free().ToString(CultureInfo.InvariantCulture);
}
