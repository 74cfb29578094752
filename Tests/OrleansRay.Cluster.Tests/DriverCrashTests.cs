using System.Globalization;
using System.Text.RegularExpressions;
using OrleansRay.Cluster.Tests.Fixtures;
using OrleansRay.Tests.Processes;
using Xunit;

namespace OrleansRay.Cluster.Tests;

/// <summary>Issue 9, case 12: a connected driver (run directly, not submitted) whose process crashes ends FAILED in the
/// job table (Ray), whether it crashed without disposing its IRay or with an exception that disposed it on the way out
/// of Main; a clean dispose stays SUCCEEDED.</summary>
[Collection(ClusterCollection.Name)]
public sealed partial class DriverCrashTests : IAsyncLifetime
{
    private static readonly TimeSpan DriverDeadline = TimeSpan.FromSeconds(120);

    /// <summary>The job table marks a silent driver failed after 15 s; the poll allows for a loaded machine.</summary>
    private static readonly TimeSpan RowDeadline = TimeSpan.FromSeconds(90);

    private readonly SharedCluster _shared;

    public DriverCrashTests(SharedCluster shared)
    {
        _shared = shared;
    }

    private LocalCluster Cluster => _shared.Cluster;

    public Task InitializeAsync() => _shared.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData("throw")] // an unhandled exception: `await using` disposes the driver, then the runtime aborts (134)
    [InlineData("crash")] // Environment.FailFast: the driver is never disposed (134)
    public async Task A_connected_driver_that_crashes_is_recorded_failed(string verb)
    {
        var run = await RunDriverAsync(verb);

        Assert.True(run.ExitCode == 134, run.ToString());
        var pid = DriverPid(run);
        var row = await WaitForEndedRowAsync(pid);
        Assert.Contains("FAILED", row, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_connected_driver_disposed_cleanly_is_recorded_succeeded()
    {
        var run = await RunDriverAsync("squares", "5");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("sum of squares 1..5 = 55", run.Output, StringComparison.Ordinal);
        var row = await WaitForEndedRowAsync(DriverPid(run));
        Assert.Contains("SUCCEEDED", row, StringComparison.Ordinal);
    }

    /// <summary>Runs the TestApp as a driver connected to the shared cluster (not a submitted job: no job id).</summary>
    private Task<ProcessResult> RunDriverAsync(params string[] arguments) =>
        ProcessRunner.RunAsync(
            Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet",
            [TestAppDriver.Assembly, .. arguments],
            DriverDeadline,
            new Dictionary<string, string>
            {
                ["ORLEANSRAY_ADDRESS"] = Cluster.Address,
                ["ORLEANSRAY_AUTH_TOKEN"] = Cluster.AuthToken!,
                // The core dump of an abort is of no use here and slow to write.
                ["DOTNET_DbgEnableMiniDump"] = "0",
            });

    private static int DriverPid(ProcessResult run)
    {
        var match = PidLine().Match(run.Output);
        Assert.True(match.Success, run.ToString());
        return int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    /// <summary>Polls <c>job list</c> until the row of the driver with <paramref name="pid"/> has ended; its line.</summary>
    private async Task<string> WaitForEndedRowAsync(int pid)
    {
        var marker = string.Create(CultureInfo.InvariantCulture, $"pid {pid} on");
        string? row = null;
        await Poll.UntilAsync(
            async () =>
            {
                var list = await Cluster.RunAsync("job", "list");
                row = list.Output.Split('\n').FirstOrDefault(l => l.Contains(marker, StringComparison.Ordinal));
                return row is not null && (row.Contains("FAILED", StringComparison.Ordinal) || row.Contains("SUCCEEDED", StringComparison.Ordinal));
            },
            RowDeadline,
            $"the job row of driver pid {pid} to end",
            () => row ?? "(no row)");
        return row!;
    }

    [GeneratedRegex(@"driver pid (\d+)")]
    private static partial Regex PidLine();
}
