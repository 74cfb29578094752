using OrleansRay.Tests.Fixtures;
using OrleansRay.Tests.Functions;
using Xunit;

namespace OrleansRay.Tests.Cancellation;

/// <summary><c>CancelAsync</c> cancels the tasks the cancelled task submitted, and theirs (Ray's
/// <c>ray.cancel(ref, recursive=True)</c>, the default); <c>recursive: false</c> cancels the task alone. One embedded node.</summary>
[Collection(RayCollection.Name)]
public sealed class RecursiveCancelTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly IRay _ray;

    public RecursiveCancelTests(RayFixture fixture) => _ray = fixture.Ray;

    [Fact]
    public async Task Cancelling_a_task_cancels_its_children_and_grandchildren_by_default()
    {
        var gate = "recursive-" + Guid.NewGuid().ToString("N");
        var root = CancelTree.Start(_ray, gate, ",,", Deadline); // parent, child, grandchild
        try
        {
            await _ray.CancelAsync(root);
            await Assert.ThrowsAsync<TaskCancelledException>(async () => await _ray.GetAsync(root, Deadline));
            Assert.True(Gates.Get(gate + ".2.observed").Wait(Deadline), "the grandchild saw RayContext.CancellationToken fire");
            Assert.False(Gates.Get(gate + ".2.finished").IsSet);
        }
        finally
        {
            Gates.Get(gate + ".release").Set();
        }
    }

    [Fact]
    public async Task A_forced_cancel_reaches_the_children_too()
    {
        var gate = "recursive-force-" + Guid.NewGuid().ToString("N");
        var root = CancelTree.Start(_ray, gate, ",", Deadline);
        try
        {
            await _ray.CancelAsync(root, force: true);
            await Assert.ThrowsAsync<TaskCancelledException>(async () => await _ray.GetAsync(root, Deadline));
            Assert.True(Gates.Get(gate + ".1.observed").Wait(Deadline), "the child saw RayContext.CancellationToken fire");
        }
        finally
        {
            Gates.Get(gate + ".release").Set();
        }
    }

    [Fact]
    public async Task A_cancel_that_is_not_recursive_leaves_the_children_running()
    {
        var gate = "not-recursive-" + Guid.NewGuid().ToString("N");
        var root = CancelTree.Start(_ray, gate, ",", Deadline);
        await _ray.CancelAsync(root, recursive: false);
        await Assert.ThrowsAsync<TaskCancelledException>(async () => await _ray.GetAsync(root, Deadline));

        // The child runs on until its gate opens: it finishes, its token never fired.
        Gates.Get(gate + ".release").Set();
        Assert.True(Gates.Get(gate + ".1.finished").Wait(Deadline), "the child ran to its end");
        Assert.False(Gates.Get(gate + ".1.observed").IsSet);
    }
}

/// <summary>A recursive cancel follows the tasks across nodes: the driver (connected) owns the parent, which runs on one
/// node and owns its child, which runs on the other node and owns the grandchild, back on the first.</summary>
public sealed class RecursiveCancelClusterTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private InProcessCluster _cluster = null!;
    private IRay _ray = null!;

    public async Task InitializeAsync()
    {
        _cluster = await InProcessCluster.StartAsync((2, null), (2, null));
        _ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
    }

    public async Task DisposeAsync()
    {
        await _ray.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task Cancelling_a_task_cancels_its_children_on_other_nodes()
    {
        var gate = "recursive-cluster-" + Guid.NewGuid().ToString("N");
        var (a, b) = (_cluster.Nodes[0].NodeId.Value, _cluster.Nodes[1].NodeId.Value);
        var root = CancelTree.Start(_ray, gate, $"{a},{b},{a}", Deadline);
        try
        {
            await _ray.CancelAsync(root);
            await Assert.ThrowsAsync<TaskCancelledException>(async () => await _ray.GetAsync(root, Deadline));
            Assert.True(Gates.Get(gate + ".2.observed").Wait(Deadline), "the grandchild, two nodes away, saw its token fire");
            Assert.False(Gates.Get(gate + ".2.finished").IsSet);
        }
        finally
        {
            Gates.Get(gate + ".release").Set();
        }
    }
}
