using OrleansRay.Tests.Fixtures;
using OrleansRay.Tests.Functions;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>Three nodes in this process and a connected driver: spillback, SPREAD, node affinity, infeasible tasks that
/// run once a node that has their resources joins.</summary>
public sealed class DistributedTests : IAsyncLifetime
{
    private InProcessCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = await InProcessCluster.StartAsync((2, null), (2, null), (2, null));
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    public static string WhereAmI() => RayContext.NodeId.Value;

    public static int SquareSlowly(int x)
    {
        Thread.Sleep(5);
        return x * x;
    }

    [Fact]
    public async Task Connected_driver_spreads_tasks_over_every_node()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address });
        var nodes = await ray.NodesAsync();
        Assert.True(3 == nodes.Count(n => n.IsAlive), string.Join("\n", nodes));

        var refs = Enumerable.Range(0, 300)
            .Select(_ => ray.Task(WhereAmI).Options(new TaskOptions { SchedulingStrategy = SchedulingStrategy.Spread }).Remote())
            .ToList();
        var where = await ray.GetAsync(refs);

        var expected = _cluster.Nodes.Select(n => n.NodeId.Value).OrderBy(x => x).ToArray();
        Assert.Equal(expected, where.Distinct().OrderBy(x => x).ToArray());
        Assert.All(where.GroupBy(w => w), g => Assert.Equal(100, g.Count()));
    }

    [Fact]
    public async Task Connected_driver_runs_every_api_of_tasks_and_objects()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address });
        var put = await ray.PutAsync(7);
        var a = ray.Task(SquareSlowly, put).Remote();
        var b = ray.Task(SquareSlowly, a).Remote();
        Assert.Equal(2401, await b);

        var many = Enumerable.Range(0, 200).Select(i => ray.Task(SquareSlowly, i).Remote()).ToList();
        var values = await ray.GetAsync(many);
        Assert.Equal(Enumerable.Range(0, 200).Select(i => i * i), values);

        var failing = ray.Task(TestFunctions.Throw, 3).Remote();
        var error = await Assert.ThrowsAsync<RayTaskException>(async () => await failing);
        Assert.Contains("bad input 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Node_affinity_runs_on_the_named_node()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address });
        foreach (var node in _cluster.Nodes)
        {
            var where = await ray.GetAsync(Enumerable.Range(0, 10)
                .Select(_ => ray.Task(WhereAmI).Options(new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(node.NodeId) }).Remote()));
            Assert.All(where, w => Assert.Equal(node.NodeId.Value, w));
        }
    }

    [Fact]
    public async Task An_infeasible_task_waits_until_a_node_with_its_resource_joins()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address });
        var task = ray.Task(WhereAmI).Options(new TaskOptions { Resources = { ["accel"] = 1 } }).Remote();
        await Eventually.TrueAsync(async () => (await ray.PendingDemandsAsync()).Any(d => d.IsInfeasible && d.Shape.ContainsKey("accel")),
            TimeSpan.FromSeconds(10), "the accel task shows as an infeasible demand");

        var joined = await _cluster.AddNodeAsync(1, new Dictionary<string, double> { ["accel"] = 1 });
        var where = await ray.GetAsync(task, TimeSpan.FromSeconds(30));
        Assert.Equal(joined.NodeId.Value, where);
    }
}
