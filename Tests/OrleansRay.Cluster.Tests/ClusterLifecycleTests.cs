using OrleansRay.Cluster.Tests.Fixtures;
using Xunit;
using Xunit.Abstractions;

namespace OrleansRay.Cluster.Tests;

/// <summary>Issue 4's first acceptance item, process side: <c>start --head</c>, <c>start --address</c> for two more
/// nodes, <c>status</c> listing 3 alive nodes with the summed resources, <c>stop</c> leaving no process and no file.
/// Each test starts its own cluster: stopping it is what is tested.</summary>
public sealed class ClusterLifecycleTests
{
    private readonly ITestOutputHelper _output;

    public ClusterLifecycleTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public async Task Head_and_two_workers_show_three_alive_nodes_with_summed_resources_and_stop_leaves_no_process_and_no_file()
    {
        await using var cluster = await LocalCluster.StartAsync();
        try
        {
            await ClusterAssertions.ThreeAliveNodesWithSummedResourcesAsync(cluster);
            await ClusterAssertions.StopLeavesNothingAsync(cluster);
        }
        finally
        {
            _output.WriteLine(string.Join('\n', cluster.Timeline));
        }
    }
}

/// <summary>What the lifecycle tests check, on memory storage and on PostgreSQL alike.</summary>
internal static class ClusterAssertions
{
    public static async Task ThreeAliveNodesWithSummedResourcesAsync(LocalCluster cluster)
    {
        await cluster.WaitForAliveNodesAsync();
        var status = await cluster.StatusAsync();

        Assert.True(status.Active == 3 && status.Dead == 0, status.Text);
        Assert.Equal(3, status.Rows.Count);
        Assert.All(cluster.Nodes, n => Assert.True(status.Of(n)?.IsAlive, $"{n} is not listed alive:\n{status.Text}"));
        // Three nodes of 2 CPUs and 256 MiB of object store each (LocalClusterOptions' defaults).
        Assert.True(status.Usage.Contains("0.0/6.0 CPU"), status.Text);
        Assert.True(status.Usage.Contains("0B/768.00MiB object_store_memory"), status.Text);
        // Every node runs its object store process next to it.
        Assert.All(cluster.Nodes, n => Assert.True(n.Store is { } store && OrleansRay.Tests.Processes.ProcessTree.IsRunning(store), $"{n} has no running object store"));
    }

    public static async Task StopLeavesNothingAsync(LocalCluster cluster)
    {
        var report = await cluster.StopAsync();

        Assert.True(report.Stop.ExitCode == 0, report.ToString());
        Assert.Equal(2, report.Stop.Output.Split('\n').Count(l => l.StartsWith("Stopped worker node", StringComparison.Ordinal)));
        Assert.Contains($"Stopped head node {cluster.Address}", report.Stop.Output, StringComparison.Ordinal);
        // Nodes and their object stores all exited on `stop` (none had to be killed by the test)...
        Assert.True(report.Survivors.Count == 0, report.ToString());
        // ...and took their files with them: pid files, the address file, session folders (logs, store sockets, spill).
        Assert.True(report.Files.Count == 0, report.ToString());

        var again = await cluster.RunAsync("stop");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("No OrleansRay node is running", again.Output, StringComparison.Ordinal);
    }
}
