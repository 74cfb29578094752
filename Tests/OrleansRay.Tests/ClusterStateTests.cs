using OrleansRay.Tests.Fixtures;
using OrleansRay.Tests.Functions;
using Xunit;
using static OrleansRay.Tests.Functions.TestFunctions;
using OrleansRay.Execution;

namespace OrleansRay.Tests;

[Collection(RayCollection.Name)]
public sealed class ClusterStateTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly IRay _ray;

    public ClusterStateTests(RayFixture fixture) => _ray = fixture.Ray;

    [Fact]
    public async Task Cluster_resources_report_the_nodes_totals()
    {
        IReadOnlyDictionary<string, double> total = await _ray.ClusterResourcesAsync();
        Assert.Equal(4, total["CPU"]);
        Assert.Equal(2, total["accel"]);
        Assert.True(total["memory"] > 0);
        Assert.True(total["object_store_memory"] > 0);
        Assert.False(total.ContainsKey("GPU"), "a node with no GPU reports none, as Ray does");
    }

    [Fact]
    public async Task Available_resources_drop_while_a_task_holds_them()
    {
        var gate = Guid.NewGuid().ToString();
        var r = _ray.Task(WaitForGate, gate).Options(new TaskOptions { NumCpus = 0, Resources = { ["accel"] = 1 } }).Remote();
        await Eventually.TrueAsync(async () => (await _ray.AvailableResourcesAsync()).GetValueOrDefault("accel") == 1, Deadline, "one accel is in use");
        Gates.Get(gate).Set();
        await _ray.GetAsync(r, Deadline);
        await Eventually.TrueAsync(async () => (await _ray.AvailableResourcesAsync()).GetValueOrDefault("accel") == 2, Deadline, "accel is free again");
    }

    [Fact]
    public async Task Nodes_lists_the_one_alive_node_with_its_resources()
    {
        IReadOnlyList<NodeInfo> nodes = await _ray.NodesAsync();
        var node = Assert.Single(nodes);
        Assert.True(node.IsAlive);
        Assert.Equal(_ray.NodeId, node.Id);
        Assert.Equal(4, node.Resources["CPU"]);
        Assert.False(string.IsNullOrEmpty(node.Address));
    }

    [Fact]
    public async Task Pending_demands_group_queued_tasks_by_shape()
    {
        var gate = Guid.NewGuid().ToString();
        var holder = _ray.Task(WaitForGate, gate).Options(new TaskOptions { NumCpus = 0, Resources = { ["accel"] = 2 } }).Remote();
        var queued = Enumerable.Range(0, 3).Select(_ => _ray.Task(Square, 2).Options(new TaskOptions { NumCpus = 0, Resources = { ["accel"] = 1 } }).Remote()).ToArray();
        await Eventually.TrueAsync(async () =>
        {
            IReadOnlyList<ResourceDemand> pending = await _ray.PendingDemandsAsync();
            return pending.Any(d => d.Count == 3 && !d.IsInfeasible && d.Shape.GetValueOrDefault("accel") == 1);
        }, Deadline, "three feasible accel=1 tasks are pending");
        Gates.Get(gate).Set();
        await _ray.GetAsync(queued, Deadline);
        await _ray.GetAsync(holder, Deadline);
        Assert.DoesNotContain(await _ray.PendingDemandsAsync(), d => d.Shape.GetValueOrDefault("accel") == 1);
    }

    [Fact]
    public async Task Finished_tasks_are_recorded_in_the_bounded_event_log()
    {
        var runtime = ((Internal.IRayRuntimeAccess)_ray).Runtime;
        Assert.Equal(144, await _ray.Task(Square, 12).Remote());
        await Assert.ThrowsAsync<RayTaskException>(async () => await _ray.Task(Throw, 3).Remote());
        var latest = runtime.Events.Latest(100);
        Assert.Contains(latest, e => e.Function == "TestFunctions.Square" && e.Error is null && e.Node == _ray.NodeId.Value);
        Assert.Contains(latest, e => e.Function == "TestFunctions.Throw" && e.Error!.Contains("bad input 3"));
        Assert.True(runtime.Events.Capacity <= TaskEventLog.DefaultCapacity);
    }
}
