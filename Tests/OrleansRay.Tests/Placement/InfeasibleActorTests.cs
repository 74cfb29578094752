using Microsoft.Extensions.DependencyInjection;
using OrleansRay.Tests.Actors;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.Placement;

/// <summary>A class actor created while no live node could hold it waits as infeasible, and, as in Ray, starts as soon
/// as a node that can hold it joins: on that node, its calls made while it waited answered there. Each test starts its
/// own cluster (and driver) and disposes it.</summary>
public sealed class InfeasibleActorTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private static readonly ActorOptions Gadget = new() { NumCpus = 0, Resources = { ["gadget"] = 1 } };

    [Fact]
    public async Task A_connected_drivers_infeasible_actor_starts_on_a_node_with_its_resource_once_that_node_joins()
    {
        await using var cluster = await InProcessCluster.StartAsync((1, null));
        await using var ray = await Ray.InitAsync(new RayOptions { Address = cluster.Address, AuthToken = cluster.AuthToken });
        await AssertStartsOnTheJoiningNodeAsync(ray, cluster);
    }

    [Fact]
    public async Task An_embedded_drivers_infeasible_actor_starts_on_a_node_with_its_resource_once_that_node_joins()
    {
        await using var cluster = await InProcessCluster.StartAsync((1, null));
        var ray = cluster.Nodes[0].Host.Services.GetRequiredService<IRay>();
        await AssertStartsOnTheJoiningNodeAsync(ray, cluster);
    }

    private static async Task AssertStartsOnTheJoiningNodeAsync(IRay ray, InProcessCluster cluster)
    {
        var actor = ray.Actor(() => new Locator()).Options(Gadget).Remote();
        var early = actor.Task(a => a.Calls()).Remote();
        await Eventually.TrueAsync(async () => (await ray.PendingDemandsAsync()).Any(d => d.IsActor && d.IsInfeasible && d.Shape.ContainsKey("gadget")),
            Deadline, "the gadget actor is an infeasible pending demand");
        Assert.Empty((await ray.WaitAsync(new[] { early }, numReturns: 1, TimeSpan.Zero)).Ready);

        var joined = await cluster.AddNodeAsync(1, new Dictionary<string, double> { ["gadget"] = 1 });
        Assert.Equal(1, await ray.GetAsync(early, Deadline));
        Assert.Equal(joined.NodeId.Value, await ray.GetAsync(actor.Task(a => a.Where()).Remote(), Deadline));
        Assert.Equal(2, await ray.GetAsync(actor.Task(a => a.Calls()).Remote(), Deadline));
        await Eventually.TrueAsync(async () => !(await ray.PendingDemandsAsync()).Any(d => d.IsActor),
            Deadline, "the actor is no longer a pending demand");
    }
}
