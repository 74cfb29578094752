using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using OrleansRay.Cluster.TestApp;
using OrleansRay.Cluster.Tests.Drivers;
using OrleansRay.Cluster.Tests.Fixtures;
using OrleansRay.Tests.Processes;
using Xunit;
using Xunit.Abstractions;

namespace OrleansRay.Cluster.Tests;

/// <summary>What a killed driver's job leaves behind is cleaned up, on real processes: a connected driver (the TestApp's
/// <c>groups</c> verb, its own process) creates a named placement group, a detached one and, inside a task, an actor;
/// the test SIGKILLs it (no dispose, no crash handler, no goodbye). Once the job table has declared the silent driver's
/// job failed (15 s), the group it created is removed and its CPUs are free again, its nested actor is DEAD, and the
/// detached group is still CREATED (Ray's placement group and actor lifetimes). Everything is read through the CLI
/// (<c>list placement-groups</c>, <c>list actors</c>, <c>status</c>), as an operator would.</summary>
[Collection(ClusterCollection.Name)]
public sealed class KilledDriverCleanupTests : IAsyncLifetime
{
    /// <summary>The driver connects, reserves both groups and starts its actor: seconds when idle.</summary>
    private static readonly TimeSpan ReadyDeadline = TimeSpan.FromSeconds(120);

    /// <summary>The job table marks a silent driver failed after 15 s, its groups ask every second and nodes end its
    /// actors at their next read of the job table; the rest is slack for a loaded 2-core machine.</summary>
    private static readonly TimeSpan CleanupDeadline = TimeSpan.FromSeconds(90);

    /// <summary>Other waits: a node report (free CPUs in status), a removal by a live driver.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    /// <summary>Each check is a CLI process (~1 s of CPU): not more often than this, on a machine shared with the nodes.</summary>
    private static readonly TimeSpan CliInterval = TimeSpan.FromSeconds(1);

    /// <summary>1-CPU bundles of the group that ends with the job.</summary>
    private const int EndingCpus = 2;

    private readonly SharedCluster _shared;
    private readonly ITestOutputHelper _output;

    public KilledDriverCleanupTests(SharedCluster shared, ITestOutputHelper output)
    {
        _shared = shared;
        _output = output;
    }

    private LocalCluster Cluster => _shared.Cluster;

    public Task InitializeAsync() => _shared.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_killed_drivers_placement_group_and_nested_actor_are_cleaned_up_and_its_detached_group_stays()
    {
        var prefix = "killed-" + Guid.NewGuid().ToString("N")[..8];
        var (ending, kept, actor) = (prefix + "-ends", prefix + "-kept", prefix + "-actor");
        var total = await TotalCpusAsync();
        // Nothing of another test holds a CPU: the figures below are this driver's alone.
        await WaitUsedCpusAsync(0, total, "no CPU in use before the driver starts");

        using var driver = StartDriver("groups", EndingCpus.ToString(CultureInfo.InvariantCulture), prefix);
        var output = new StringBuilder();
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        driver.OutputDataReceived += (_, e) =>
        {
            lock (output)
            {
                output.AppendLine(e.Data);
            }

            if (e.Data?.StartsWith("holding ", StringComparison.Ordinal) == true)
            {
                holding.TrySetResult();
            }
        };
        driver.ErrorDataReceived += (_, e) =>
        {
            lock (output)
            {
                output.AppendLine(e.Data);
            }
        };
        driver.BeginOutputReadLine();
        driver.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        try
        {
            var ended = await Task.WhenAny(holding.Task, driver.WaitForExitAsync(), Task.Delay(ReadyDeadline));
            Assert.True(ended == holding.Task, $"the driver did not hold its groups and actor within {ReadyDeadline} (exited: {driver.HasExited}). Output:\n{Snapshot(output)}");

            // While the job runs: both groups created, the actor alive in the job, and their 4 CPUs in use.
            Assert.Equal(["CREATED"], await GroupStatesAsync(ending));
            Assert.Equal(["CREATED"], await GroupStatesAsync(kept));
            var alive = await ActorRowsAsync(actor);
            Assert.True(alive.Count == 1 && alive[0].State == "ALIVE" && alive[0].JobId.Length > 0, $"the nested actor's rows: {string.Join(", ", alive)}");
            await WaitUsedCpusAsync(EndingCpus + 2, total, "both groups and the actor to hold their CPUs");

            driver.Kill(entireProcessTree: true); // SIGKILL: no dispose, no crash handler, no goodbye
            await driver.WaitForExitAsync();
            var killedAt = clock.Elapsed;

            // The job's group is removed: listed REMOVED or not at all.
            string[] states = [];
            await Poll.UntilAsync(
                async () => (states = await GroupStatesAsync(ending)).All(s => s == "REMOVED"),
                CleanupDeadline,
                $"the killed driver's placement group {ending} to be removed",
                () => string.Join(", ", states),
                CliInterval);
            _output.WriteLine($"group removed {(clock.Elapsed - killedAt).TotalSeconds:F1} s after the kill");

            // Its actor created inside a task died with the job.
            List<ActorRow> rows = [];
            await Poll.UntilAsync(
                async () => (rows = await ActorRowsAsync(actor)).Count > 0 && rows.All(r => r.State == "DEAD"),
                CleanupDeadline,
                $"the killed driver's nested actor {actor} to be DEAD",
                () => string.Join(", ", rows),
                CliInterval);
            Assert.Equal(alive[0].JobId, rows[0].JobId);
            _output.WriteLine($"actor dead {(clock.Elapsed - killedAt).TotalSeconds:F1} s after the kill");

            // Their CPUs are free again; the detached group keeps its one, still created.
            await WaitUsedCpusAsync(1, total, "the removed group's and the dead actor's CPUs to be free (the detached group keeps 1)");
            Assert.Equal(["CREATED"], await GroupStatesAsync(kept));
            _output.WriteLine($"CPUs back {(clock.Elapsed - killedAt).TotalSeconds:F1} s after the kill");

            // The detached group is usable from another driver, until removed explicitly.
            await using var ray = await Driver.ConnectAsync(Cluster);
            var group = await ray.GetPlacementGroupAsync(kept);
            var node = await ray.GetAsync(ray.Task(Work.WhereAmI).Options(new TaskOptions { PlacementGroup = group, BundleIndex = 0, NumCpus = 1 }).Remote(), Deadline);
            Assert.False(string.IsNullOrEmpty(node));
            await ray.RemovePlacementGroupAsync(group);
            await WaitUsedCpusAsync(0, total, "the detached group's CPU to be free once removed");
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _output.WriteLine($"--- driver output:\n{Snapshot(output)}\n--- cluster:\n{Cluster.Diagnostics()}");
            throw;
        }
        finally
        {
            if (!driver.HasExited)
            {
                driver.Kill(entireProcessTree: true);
                await driver.WaitForExitAsync();
            }

            await LeaveCleanAsync(ending, kept, actor);
        }
    }

    /// <summary>Starts the TestApp as a driver connected to the shared cluster (its own process; not a submitted job).</summary>
    private Process StartDriver(params string[] arguments) =>
        Process.Start(TestAppDriver.ConnectedDriver(Cluster, arguments)) ?? throw new InvalidOperationException("could not start the TestApp");

    /// <summary>The states <c>orleansray list placement-groups</c> shows for the groups named <paramref name="name"/>.</summary>
    private async Task<string[]> GroupStatesAsync(string name)
    {
        using var json = await ListAsync("placement-groups", "name=" + name);
        return json.RootElement.EnumerateArray().Select(g => g.GetProperty("state").GetString()!).ToArray();
    }

    /// <summary>The rows <c>orleansray list actors</c> shows for the actor named <paramref name="name"/>.</summary>
    private async Task<List<ActorRow>> ActorRowsAsync(string name)
    {
        using var json = await ListAsync("actors", "name=" + name);
        return json.RootElement.EnumerateArray()
            .Select(a => new ActorRow(a.GetProperty("state").GetString()!, a.GetProperty("job_id").GetString() ?? string.Empty))
            .ToList();
    }

    private async Task<JsonDocument> ListAsync(string resource, string filter)
    {
        var result = await Cluster.RunAsync("list", resource, "--format", "json", "--filter", filter, "--limit", "10000");
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonDocument.Parse(result.Output);
    }

    /// <summary>The cluster's CPUs, from the head's Usage line "USED/TOTAL CPU" of <c>orleansray status</c>.</summary>
    private async Task<double> TotalCpusAsync() => UsedAndTotal(await Cluster.StatusAsync()).Total;

    /// <summary>Polls <c>orleansray status</c> until <paramref name="used"/> of <paramref name="total"/> CPUs are in use.</summary>
    private async Task WaitUsedCpusAsync(double used, double total, string what)
    {
        var expected = string.Create(CultureInfo.InvariantCulture, $"{used:F1}/{total:F1} CPU");
        var last = string.Empty;
        await Poll.UntilAsync(
            async () =>
            {
                var status = await Cluster.StatusAsync();
                last = string.Join("; ", status.Usage);
                return status.Usage.Contains(expected);
            },
            Deadline,
            $"{what} (status: {expected})",
            () => last,
            CliInterval);
    }

    private static (double Used, double Total) UsedAndTotal(ClusterStatus status)
    {
        var line = status.Usage.FirstOrDefault(u => u.EndsWith(" CPU", StringComparison.Ordinal))
            ?? throw new Xunit.Sdk.XunitException("no CPU line under Usage:\n" + status.Text);
        var parts = line[..^" CPU".Length].Split('/');
        return (double.Parse(parts[0], CultureInfo.InvariantCulture), double.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    /// <summary>Leaves the shared cluster as it was, whatever failed: the test's groups removed and its actor killed (a
    /// driver of this process; each step best effort, what is already gone is fine).</summary>
    private async Task LeaveCleanAsync(params string[] names)
    {
        try
        {
            await using var ray = await Driver.ConnectAsync(Cluster);
            foreach (var name in names.Where(n => !n.EndsWith("-actor", StringComparison.Ordinal)))
            {
                try
                {
                    await ray.RemovePlacementGroupAsync(await ray.GetPlacementGroupAsync(name));
                }
                catch (PlacementGroupNotFoundException)
                {
                }
            }

            foreach (var name in names.Where(n => n.EndsWith("-actor", StringComparison.Ordinal)))
            {
                try
                {
                    await ray.KillAsync(await ray.GetActorAsync<Counter>(name));
                }
                catch (ActorNotFoundException)
                {
                }
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _output.WriteLine($"cleaning up after the test failed: {ex}");
        }
    }

    private static string Snapshot(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    private sealed record ActorRow(string State, string JobId);
}
