using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using OrleansRay.Cluster.Tests.Fixtures;
using OrleansRay.Tests.Processes;
using Xunit;
using Xunit.Abstractions;

namespace OrleansRay.Cluster.Tests;

/// <summary>A connected driver's job ends while its tasks run and queue on a node, its process exiting without disposing
/// its IRay or disposing it: the node cancels the running ones (their CPUs come back) and drops the queued ones (they
/// never start), those submitted by its tasks too. Ray: when a driver exits or shuts down, its pending tasks are cancelled
/// and its workers killed.</summary>
[Collection(ClusterCollection.Name)]
public sealed class JobEndTests : IAsyncLifetime
{
    /// <summary>Tasks the driver leaves behind: 2 run on the 2-CPU worker, 4 queue there.</summary>
    private const int Tasks = 6;

    private static readonly TimeSpan DriverDeadline = TimeSpan.FromSeconds(120);

    /// <summary>A driver that exited without a word is marked failed after 15 s of silence (the job table's rule), and
    /// nodes look at the job table every second; the rest is slack for a loaded 2-core machine.</summary>
    private static readonly TimeSpan FreedDeadline = TimeSpan.FromSeconds(90);

    private readonly SharedCluster _shared;
    private readonly ITestOutputHelper _output;

    public JobEndTests(SharedCluster shared, ITestOutputHelper output)
    {
        _shared = shared;
        _output = output;
    }

    private LocalCluster Cluster => _shared.Cluster;

    public Task InitializeAsync() => _shared.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData("exit", false)] // Environment.Exit(3): the job ends when the driver stops reporting
    [InlineData("dispose", false)] // its IRay disposed: the job ends at once
    [InlineData("dispose", true)] // the tasks submitted by a task of the job, owned by a node: the job's all the same
    public async Task Tasks_of_an_ended_job_are_cancelled_and_its_queued_tasks_never_start(string ending, bool nested)
    {
        var node = _shared.Workers[0];
        var cpus = (int)Cluster.Options.NumCpus;
        var folder = Directory.CreateTempSubdirectory("orleansray-job-end-");
        var freed = false;
        try
        {
            var before = CpuUsed(await Cluster.WaitForSnapshotAsync(_ => true, TimeSpan.FromSeconds(30), "the head's snapshot"), node).Used;
            Assert.False(double.IsNaN(before), $"{node} is not in the head's snapshot");

            var run = await RunDriverAsync(["abandon", Tasks.ToString(CultureInfo.InvariantCulture), folder.FullName, node.NodeIdPrefix, ending, .. nested ? ["nested"] : Array.Empty<string>()]);
            var sinceEnd = Stopwatch.StartNew();
            Assert.True(run.ExitCode == (ending == "exit" ? 3 : 0), run.ToString());
            Assert.Contains("abandoning", run.Output, StringComparison.Ordinal);
            Assert.Equal(cpus, Directory.GetFiles(folder.FullName).Length);

            // A report made after the driver ended (its tasks were running then) that shows the node's CPUs back.
            await Cluster.WaitForSnapshotAsync(
                snapshot =>
                {
                    var (used, age) = CpuUsed(snapshot, node);
                    return age < sinceEnd.Elapsed.TotalSeconds && used <= before;
                },
                FreedDeadline,
                $"{node}'s CPUs to come back after the driver ended ({ending}{(nested ? ", nested tasks" : string.Empty)})",
                TimeSpan.FromMilliseconds(250));
            var elapsed = sinceEnd.Elapsed;
            freed = true;
            _output.WriteLine($"{ending}{(nested ? " (nested tasks)" : string.Empty)}: the node's {cpus} CPUs were back {elapsed.TotalSeconds:0.0} s after the driver ended");

            // None of the queued tasks started, then or since (each would have made a file and taken a CPU again).
            var started = Directory.GetFiles(folder.FullName).Length;
            Assert.True(started == cpus, $"{started} of the job's {Tasks} tasks started; only the {cpus} running when it ended should have");
        }
        finally
        {
            if (!freed)
            {
                // Its tasks would hold the worker's CPUs for minutes: the next test's reset replaces it.
                _output.WriteLine(Cluster.Diagnostics());
                await Cluster.KillAsync(node);
            }

            folder.Delete(recursive: true);
        }
    }

    /// <summary>The CPUs in use on <paramref name="node"/> in a snapshot of <c>/api/cluster</c>, and the age of its report
    /// in seconds.</summary>
    private static (double Used, double Age) CpuUsed(string snapshot, ClusterNode node)
    {
        using var document = JsonDocument.Parse(snapshot);
        return CpuUsed(document.RootElement, node);
    }

    private static (double Used, double Age) CpuUsed(JsonElement snapshot, ClusterNode node)
    {
        foreach (var row in snapshot.GetProperty("nodes").EnumerateArray())
        {
            if (row.GetProperty("isAlive").GetBoolean() && node.Owns(row.GetProperty("nodeId").GetString()))
            {
                var cpu = row.GetProperty("usage").EnumerateArray().First(u => u.GetProperty("name").GetString() == "CPU");
                return (cpu.GetProperty("used").GetDouble(), row.GetProperty("lastReportSeconds").GetDouble());
            }
        }

        return (double.NaN, double.PositiveInfinity);
    }

    /// <summary>Runs the TestApp as a driver connected to the shared cluster (not a submitted job).</summary>
    private Task<ProcessResult> RunDriverAsync(string[] arguments) =>
        ProcessRunner.RunAsync(
            Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet",
            [TestAppDriver.Assembly, .. arguments],
            DriverDeadline,
            new Dictionary<string, string>
            {
                ["ORLEANSRAY_ADDRESS"] = Cluster.Address,
                ["ORLEANSRAY_AUTH_TOKEN"] = Cluster.AuthToken!,
            });
}
