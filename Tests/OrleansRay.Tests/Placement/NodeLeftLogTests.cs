using Microsoft.Extensions.Logging;
using OrleansRay.Tests.Fixtures;
using OrleansRay.Tests.Functions;
using Xunit;

namespace OrleansRay.Tests.Placement;

/// <summary>A node that leaves the cluster while none of a runtime's tasks runs there is an event, not a problem: the
/// driver's log says it left at Information, and keeps its "left the cluster (stopped or died) with N of this runtime's tasks" warning for a node
/// that took tasks with it. Each test starts its own cluster and driver and disposes them.</summary>
public sealed class NodeLeftLogTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_node_that_leaves_with_none_of_the_drivers_tasks_is_logged_as_left_not_warned_about()
    {
        await using var cluster = await InProcessCluster.StartAsync((1, null), (1, null));
        var log = new RecordingLoggerProvider();
        await using var ray = await Ray.InitAsync(new RayOptions { Address = cluster.Address, AuthToken = cluster.AuthToken, LogTo = log, LogLevel = LogLevel.Information });
        var leaving = cluster.Nodes[1];
        var onLeaving = new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(leaving.NodeId, soft: false) };
        // The driver has used the node, so its view holds it.
        Assert.Equal(9, await ray.GetAsync(ray.Task(TestFunctions.Square, 3).Options(onLeaving).Remote(), Deadline));

        var id = leaving.NodeId.ToString();
        await cluster.StopNodeAsync(leaving);

        bool Names(RecordingLoggerProvider.Entry e) => e.Category.StartsWith("OrleansRay", StringComparison.Ordinal) && e.Message.Contains(id, StringComparison.Ordinal);
        await Eventually.TrueAsync(() => log.Entries.Any(Names), Deadline, "the driver logs the node's leaving");
        Assert.Empty(log.Warnings("of this runtime's tasks"));
        var left = Assert.Single(log.Entries, Names);
        Assert.Equal(LogLevel.Information, left.Level);
        Assert.Contains("left the cluster", left.Message, StringComparison.Ordinal);
        // The cluster goes on without it.
        Assert.Equal(16, await ray.GetAsync(ray.Task(TestFunctions.Square, 4).Remote(), Deadline));
    }
}
