using OrleansRay.Grains;
using OrleansRay.Tests.Actors;
using OrleansRay.Tests.Fixtures;
using OrleansRay.Tests.Functions;
using Xunit;

namespace OrleansRay.Tests.Autoscaling;

/// <summary>Ray's DrainNode as the autoscaler asks it before removing a node (<see cref="INodeEndpoint.DrainIfIdleAsync"/>):
/// the node refuses while it runs a task or owns an object (a cluster of their own: what these leave behind must not
/// keep <see cref="NodeDrainAcceptTests"/>' node busy).</summary>
public sealed class NodeDrainTests(TwoNodeDriverFixture fixture) : IClassFixture<TwoNodeDriverFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private Task<string?> DrainFarAsync(bool confirm = false) => NodeDrainAcceptTests.DrainAsync(fixture, confirm);

    [Fact]
    public async Task A_node_refuses_to_drain_while_it_runs_a_0_CPU_task()
    {
        var gate = Guid.NewGuid().ToString();
        var running = fixture.Ray.Task(TestFunctions.WaitForGate, gate).Options(new TaskOptions { NumCpus = 0, SchedulingStrategy = fixture.OnFar }).Remote();
        try
        {
            await Eventually.TrueAsync(async () => (await fixture.RowAsync(fixture.Far)).RunningTaskCount == 1, Deadline, "the far node runs the task");
            var refused = await DrainFarAsync();
            Assert.NotNull(refused);
            Assert.Contains("running task(s)", refused, StringComparison.Ordinal);
        }
        finally
        {
            Gates.Get(gate).Set();
        }

        Assert.Equal(1, await running);
    }

    [Fact]
    public async Task A_node_refuses_to_drain_while_it_owns_an_object_a_driver_borrows()
    {
        // The far node's task submitted Square and returned its ref: the far node owns the small (inline) result.
        var outer = fixture.Ray.Task(TestFunctions.MakeRef, 6).Options(new TaskOptions { NumCpus = 0, SchedulingStrategy = fixture.OnFar }).Remote();
        var inner = await outer;
        Assert.Equal(36, await inner);

        var refused = await DrainFarAsync();
        Assert.NotNull(refused);
        Assert.Contains("owned object(s)", refused, StringComparison.Ordinal);
        Assert.Equal(36, await inner); // still readable: the node did not drain
        Assert.False((await fixture.RowAsync(fixture.Far)).IsDraining);
        inner.Dispose();
        outer.Dispose();
    }
}

/// <summary>Ray's DrainNode, accepted: the node refuses while it hosts an actor and agrees once idle; once draining, its
/// row says so and new tasks and actors go to the other node; work that still reaches it ends the drain.</summary>
public sealed class NodeDrainAcceptTests(TwoNodeDriverFixture fixture) : IClassFixture<TwoNodeDriverFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    public static string WhereAmI() => RayContext.NodeId.Value;

    internal static async Task<string?> DrainAsync(TwoNodeDriverFixture fixture, bool confirm) =>
        await (await fixture.RowAsync(fixture.Far)).Endpoint!.DrainIfIdleAsync(confirm);

    private Task<string?> DrainFarAsync(bool confirm = false) => DrainAsync(fixture, confirm);

    /// <summary>Waits until the far node agrees to drain (what earlier tests left there, such as refs its tasks made that
    /// the GC has not finalized yet, goes away), then checks its row shows it.</summary>
    private async Task DrainWhenIdleAsync()
    {
        string? last = null;
        try
        {
            await Eventually.TrueAsync(
                async () =>
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    last = await DrainFarAsync();
                    return last is null;
                },
                Deadline,
                "the far node agrees to drain once idle");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message} (it last answered: {last})", ex);
        }
        await Eventually.TrueAsync(async () => (await fixture.RowAsync(fixture.Far)).IsDraining, Deadline, "the far node's row says it drains");
    }

    /// <summary>Ends a drain the way work does: a task pinned to the far node.</summary>
    private async Task EndDrainAsync()
    {
        Assert.NotNull(await fixture.Ray.Task(WhereAmI).Options(new TaskOptions { NumCpus = 0, SchedulingStrategy = fixture.OnFar }).Remote());
        await Eventually.TrueAsync(async () => !(await fixture.RowAsync(fixture.Far)).IsDraining, Deadline, "the far node's row no longer says it drains");
    }

    [Fact]
    public async Task A_node_refuses_to_drain_while_it_hosts_an_actor_and_agrees_once_the_actor_is_gone()
    {
        var actor = fixture.Ray.Actor(() => new Counter(0)).Options(new ActorOptions { NumCpus = 0, SchedulingStrategy = fixture.OnFar }).Remote();
        Assert.Equal(1, await actor.Task(c => c.Increment()).Remote());

        var refused = await DrainFarAsync();
        Assert.NotNull(refused);
        Assert.Contains("1 actor(s)", refused, StringComparison.Ordinal);
        Assert.False((await fixture.RowAsync(fixture.Far)).IsDraining);

        await fixture.Ray.KillAsync(actor);
        await DrainWhenIdleAsync();
        await EndDrainAsync();
    }

    [Fact]
    public async Task Once_draining_new_tasks_and_actors_go_to_the_other_node_and_work_that_still_reaches_it_ends_the_drain()
    {
        await DrainWhenIdleAsync();
        try
        {
            // The driver's view has the draining row once its next refresh ran: wait for it, then SPREAD (which would
            // use both nodes) puts every task and actor on the other node.
            var driver = ((Internal.IRayRuntimeAccess)fixture.Ray).Runtime.Cluster;
            await Eventually.TrueAsync(() => driver.Refresh.Nodes.Any(n => n.Id == fixture.Far.NodeId && n.IsDraining), Deadline, "the driver sees the far node draining");

            var tasks = Enumerable.Range(0, 6).Select(_ => fixture.Ray.Task(WhereAmI).Options(new TaskOptions { NumCpus = 0, SchedulingStrategy = SchedulingStrategy.Spread }).Remote()).ToArray();
            Assert.All(await fixture.Ray.GetAsync(tasks), node => Assert.Equal(fixture.Cluster.Nodes[0].NodeId.Value, node));

            var actors = Enumerable.Range(0, 3).Select(_ => fixture.Ray.Actor(() => new Locator()).Options(new ActorOptions { NumCpus = 0, SchedulingStrategy = SchedulingStrategy.Spread }).Remote()).ToList();
            foreach (var actor in actors)
            {
                Assert.Equal(fixture.Cluster.Nodes[0].NodeId.Value, await actor.Task(a => a.Where()).Remote());
                await fixture.Ray.KillAsync(actor);
            }

            // Nothing reached the far node: the loop's confirmation succeeds.
            Assert.Null(await DrainFarAsync(confirm: true));
        }
        finally
        {
            // A task pinned to the draining node (hard affinity) still runs there, and ends the drain.
            await EndDrainAsync();
        }

        Assert.Equal("work reached it while it was draining", await DrainFarAsync(confirm: true));
    }
}
