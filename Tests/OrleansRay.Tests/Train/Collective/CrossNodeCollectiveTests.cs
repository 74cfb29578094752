using OrleansRay.Tests.Fixtures;
using OrleansRay.Train.Collective;
using Xunit;

namespace OrleansRay.Tests.Training.Collective;

/// <summary>Ranks on two in-process nodes: the ring's chunks go from one node's object store to the other's.</summary>
public sealed class CrossNodeCollectiveTests : IAsyncLifetime
{
    private InProcessCluster _cluster = null!;
    private IRay _ray = null!;

    public async Task InitializeAsync()
    {
        _cluster = await InProcessCluster.StartAsync((2, null), (2, null));
        _ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken, Namespace = "tests" });
    }

    public async Task DisposeAsync()
    {
        await _ray.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task Ranks_on_two_nodes_allreduce_and_broadcast_through_the_object_store()
    {
        const int Ranks = 4;
        await using var group = await PeerGroup.StartAsync(_ray, Ranks, rank =>
        {
            var options = CollectivePeer.Options();
            options.SchedulingStrategy = SchedulingStrategy.NodeAffinity(_cluster.Nodes[rank % 2].NodeId);
            return options;
        });
        var nodes = await group.AllAsync(r => group.Peers[r].Task(p => p.Node()).Remote());
        Assert.Equal(Enumerable.Range(0, Ranks).Select(r => _cluster.Nodes[r % 2].NodeId.Value), nodes); // every ring link crosses nodes

        var inputs = CommunicatorTests.Inputs(Ranks, 250_001); // 2 MB per rank: every chunk above the inline limit
        var results = await group.AllAsync(r => group.Peers[r].Task((p, v) => p.AllReduceDoubles(v, ReduceOp.Mean), inputs[r]).Remote());

        var expected = CommunicatorTests.Expected(inputs, ReduceOp.Mean);
        Assert.All(results, result => Assert.Equal(expected, result, (a, b) => Math.Abs(a - b) <= 1e-12));
        var sent = await group.AllAsync(r => group.Peers[r].Task(p => p.Sent()).Remote());
        Assert.All(sent, s => Assert.Equal(new long[] { 0, 2 * (Ranks - 1) }, s)); // every step's chunk by reference

        var big = Enumerable.Range(0, 100_000).Select(i => (double)i).ToArray();
        var told = await group.AllAsync(r => group.Peers[r].Task((p, v) => p.BroadcastDoubles(v, 1), r == 1 ? big : Array.Empty<double>()).Remote());
        Assert.All(told, value => Assert.Equal(big, value));
    }
}
