using OrleansRay.Grains;
using OrleansRay.Tests.Actors;
using OrleansRay.Tests.Fixtures;
using OrleansRay.Tests.Functions;
using Xunit;

namespace OrleansRay.Tests.Autoscaling;

/// <summary>Two in-process nodes and a connected driver, shared by the tests of one class (they run one after another).</summary>
public sealed class TwoNodeDriverFixture : IAsyncLifetime
{
    public InProcessCluster Cluster { get; private set; } = null!;

    public IRay Ray { get; private set; } = null!;

    /// <summary>The node the driver does not connect through.</summary>
    public InProcessCluster.Node Far => Cluster.Nodes[1];

    public SchedulingStrategy OnFar => SchedulingStrategy.NodeAffinity(Far.NodeId);

    public IGrainFactory Head => Cluster.Nodes[0].Runtime.GrainFactory;

    public async Task InitializeAsync()
    {
        Cluster = await InProcessCluster.StartAsync((2, null), (2, null));
        Ray = await OrleansRay.Ray.InitAsync(new RayOptions { Address = Cluster.Address, AuthToken = Cluster.AuthToken, Namespace = "occupancy" });
    }

    public async Task DisposeAsync()
    {
        await Ray.DisposeAsync();
        await Cluster.DisposeAsync();
    }

    /// <summary>Node <paramref name="node"/>'s row as the head's node table has it (what the autoscaler reads).</summary>
    public async Task<NodeStatus> RowAsync(InProcessCluster.Node node) =>
        (await Head.GetGrain<INodeTableGrain>(0).ListAsync()).Single(r => r.NodeId == node.NodeId);
}

/// <summary>Each node reports in its node-table row the actors it hosts, the primary copies in its store and the tasks it
/// runs (0-resource ones included), so the autoscaler never removes a node that would lose them.</summary>
public sealed class NodeOccupancyTests(TwoNodeDriverFixture fixture) : IClassFixture<TwoNodeDriverFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    public static double[] Large(int n) => new double[n];

    private Task RowBecomesAsync(InProcessCluster.Node node, Func<NodeStatus, bool> condition, string because) =>
        Eventually.TrueAsync(async () => condition(await fixture.RowAsync(node)), Deadline, because);

    [Fact]
    public async Task A_0_CPU_actor_counts_on_its_node_while_alive_and_not_after_it_is_killed()
    {
        var actor = fixture.Ray.Actor(() => new Counter(0)).Options(new ActorOptions { NumCpus = 0, SchedulingStrategy = fixture.OnFar }).Remote();
        Assert.Equal(1, await actor.Task(c => c.Increment()).Remote());

        await RowBecomesAsync(fixture.Far, r => r.ActorCount == 1, "the far node reports its one actor");
        var far = await fixture.RowAsync(fixture.Far);
        Assert.Equal(far.Total, far.Available); // no resource shows it: only the count does
        Assert.Equal(0, (await fixture.RowAsync(fixture.Cluster.Nodes[0])).ActorCount);

        await fixture.Ray.KillAsync(actor);
        await RowBecomesAsync(fixture.Far, r => r.ActorCount == 0, "a killed actor no longer counts");
    }

    [Fact]
    public async Task A_large_result_is_a_primary_copy_on_the_node_that_made_it_until_its_owner_frees_it()
    {
        var result = fixture.Ray.Task(Large, 100_000).Options(new TaskOptions { SchedulingStrategy = fixture.OnFar }).Remote(); // 800 kB: stored
        Assert.Equal(100_000, (await result).Length);

        await RowBecomesAsync(fixture.Far, r => r.PrimaryObjectCount == 1, "the far node holds the result's primary copy");

        result.Dispose();
        await RowBecomesAsync(fixture.Far, r => r.PrimaryObjectCount == 0, "the freed result's copy is deleted");
    }

    [Fact]
    public async Task A_node_whose_task_submitted_a_child_owns_its_result_while_a_ref_to_it_lives_and_is_not_idle()
    {
        // The far node's task submits Square and returns its ref: the far node's runtime owns the (inline) result, and
        // the driver borrows it. Removing the far node would lose the value and break the driver's ref.
        var outer = fixture.Ray.Task(TestFunctions.MakeRef, 7).Options(new TaskOptions { NumCpus = 0, SchedulingStrategy = fixture.OnFar }).Remote();
        var inner = await outer;
        Assert.Equal(49, await inner);

        await RowBecomesAsync(fixture.Far, r => r.OwnedObjectCount >= 1 && r.RunningTaskCount == 0, "the far node owns the inner result and runs nothing");
        GC.KeepAlive(inner);
    }

    [Fact]
    public async Task A_task_waiting_for_its_arguments_counts_on_its_owners_node()
    {
        var gate = Guid.NewGuid().ToString();
        var outer = fixture.Ray.Task(TestFunctions.SubmitWaitingChild, gate).Options(new TaskOptions { NumCpus = 0, SchedulingStrategy = fixture.OnFar }).Remote();
        ObjectRef<int>? child = null;
        try
        {
            child = await outer;
            await RowBecomesAsync(fixture.Far, r => r.WaitingTaskCount == 1, "the far node owns one child waiting for its argument");
        }
        finally
        {
            Gates.Get(gate).Set();
        }

        Assert.Equal(1, await child!);
        await RowBecomesAsync(fixture.Far, r => r.WaitingTaskCount == 0, "the child got its argument");
    }

    [Fact]
    public async Task A_running_0_CPU_task_counts_as_running_work_though_no_resource_is_in_use()
    {
        var gate = Guid.NewGuid().ToString();
        var running = fixture.Ray.Task(TestFunctions.WaitForGate, gate).Options(new TaskOptions { NumCpus = 0, SchedulingStrategy = fixture.OnFar }).Remote();
        try
        {
            await RowBecomesAsync(fixture.Far, r => r.RunningTaskCount == 1 && r.Available.Equals(r.Total), "the far node runs one task with all its resources free");
        }
        finally
        {
            Gates.Get(gate).Set();
        }

        Assert.Equal(1, await running);
        await RowBecomesAsync(fixture.Far, r => r.RunningTaskCount == 0, "the finished task no longer counts");
    }
}

/// <summary>A node's own large put is a primary copy in its store, counted in its row until freed (an embedded node of
/// its own, so nothing else is in its store).</summary>
public sealed class EmbeddedNodeOccupancyTests
{
    [Fact]
    public async Task A_large_put_counts_as_a_primary_object_until_it_is_freed_and_a_small_one_never_does()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { NumCpus = 1, ObjectStoreMemory = 32L << 20, Namespace = "occupancy-put" });
        var runtime = ((Internal.IRayRuntimeAccess)ray).Runtime;
        NodeStatus Row() => runtime.Cluster.LocalStatus();

        var small = await ray.PutAsync(42);
        var large = await ray.PutAsync(new double[200_000]);
        // Exactly 1: the small put is inline (in the driver's memory, an owned object), not a copy in the store.
        await Eventually.TrueAsync(() => Row().PrimaryObjectCount == 1, TimeSpan.FromSeconds(30), "the large put is the store's one primary copy");

        large.Dispose();
        await Eventually.TrueAsync(() => Row().PrimaryObjectCount == 0, TimeSpan.FromSeconds(30), "the freed put's copy is deleted");
        Assert.Equal(42, await small);
    }
}

/// <summary>The node's own idle clock (Ray's idle_duration_ms), on a cluster of its own: nothing other tests leave on the
/// far node keeps it busy.</summary>
public sealed class NodeIdleTimeTests(TwoNodeDriverFixture fixture) : IClassFixture<TwoNodeDriverFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private Task RowBecomesAsync(InProcessCluster.Node node, Func<NodeStatus, bool> condition, string because) =>
        Eventually.TrueAsync(async () => condition(await fixture.RowAsync(node)), Deadline, because);

    [Fact]
    public async Task A_nodes_own_idle_time_grows_while_idle_and_restarts_after_a_task_that_ran_between_two_reports()
    {
        long before = 0;
        await RowBecomesAsync(fixture.Far, r => (before = r.IdleMilliseconds ?? 0) >= 1_000, "the far node reports a second of idleness");

        // A short task, over long before the autoscaler's next round could sample it: the node's clock restarts.
        Assert.Equal(25, await fixture.Ray.Task(TestFunctions.Square, 5).Options(new TaskOptions { NumCpus = 0, SchedulingStrategy = fixture.OnFar }).Remote());
        await RowBecomesAsync(fixture.Far, r => r.IdleMilliseconds < before, "the far node's idle time restarted after the task");
    }
}
