using OrleansRay.Tests.Fixtures;
using OrleansRay.Tests.Interop;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>Issue 14.5 on three in-process nodes and a connected driver (an Orleans client through a gateway): every
/// node hosts the application's grain class, and tasks and actors on any node call it.</summary>
public sealed class GrainInteropClusterTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private InProcessCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await InProcessCluster.StartAsync((2, null), (2, null), (2, null));

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_connected_driver_and_tasks_and_an_actor_on_every_node_call_the_applications_grain()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        var shared = "book-" + Guid.NewGuid().ToString("N")[..8];
        var grain = ray.GrainFactory.GetGrain<IGuestbookGrain>(shared);
        Assert.Equal(1, await grain.SignAsync("driver"));

        // A task pinned to each node signs a book of its own: the grain prefers its caller's silo, so each book lives
        // on the node its task ran on, which shows that every node hosts the class.
        foreach (var node in _cluster.Nodes)
        {
            var own = "book-" + Guid.NewGuid().ToString("N")[..8];
            var pinned = new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(node.NodeId) };
            var result = (await ray.GetAsync(ray.Task(GrainCallers.SignFromTask, own, "task").Options(pinned).Remote(), Deadline)).Split('|');
            Assert.Equal([node.NodeId.Value, "1", node.NodeId.Value], result);
        }

        // An actor on the last node, and a grain reference passed from the driver to a task on another node.
        var clerk = ray.Actor(() => new Clerk())
            .Options(new ActorOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(_cluster.Nodes[2].NodeId) })
            .Remote();
        Assert.Equal(2, await ray.GetAsync(clerk.Task((c, b, w) => c.Sign(b, w), shared, "actor").Remote(), Deadline));
        Assert.Equal(3, await ray.GetAsync(clerk.Task((c, g) => c.SignHeld(g), grain).Remote(), Deadline));
        var onSecond = new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(_cluster.Nodes[1].NodeId) };
        Assert.Equal(4, await ray.GetAsync(ray.Task(GrainCallers.SignThroughReference, grain, "reference").Options(onSecond).Remote(), Deadline));

        Assert.Equal(["driver", "actor", "clerk #2", "reference"], await grain.SignaturesAsync());

        // A connected driver asking for a grain no node hosts fails in GetGrain too (the cluster's manifest is the nodes').
        var missing = Assert.Throws<ArgumentException>(() => ray.GrainFactory.GetGrain<IUnhostedGrain>("x"));
        GrainInteropTests.AssertExplains(missing.Message);
    }
}
