using OrleansRay.Internal;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.Placement;

/// <summary>A live node's row missing from one answer of the node table is not its death: only a row the table shows
/// dead (from Orleans membership) is at once, and a row missing from <see cref="OrleansRay.Placement.ClusterRefresh.AbsentExchangesForDeath"/>
/// answers in a row. A busy CI run once saw a starting node take a live peer for dead after one answer without its row,
/// then fail every call to the peer's actors. The driver's refresh loop is stopped and the test applies answers itself.</summary>
public sealed class AbsentNodeRowTests : IAsyncLifetime
{
    private InProcessCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await InProcessCluster.StartAsync((1, null), (1, null));

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_node_missing_from_one_answer_stays_alive_and_one_missing_from_many_in_a_row_is_dead()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        var runtime = IRayRuntimeAccess.Of(ray);
        var view = runtime.Cluster.Refresh;
        await view.StopAsync();
        var died = new List<NodeId>();
        runtime.Cluster.Deaths.Died += id => { lock (died) { died.Add(id); } };
        var rows = await runtime.GrainFactory.GetGrain<Grains.INodeTableGrain>(0).ListAsync();
        var peer = _cluster.Nodes[1].NodeId;
        var withoutPeer = rows.Where(r => r.NodeId != peer).ToList();
        view.Apply(rows);
        Assert.Contains(view.Nodes, n => n.Id == peer);

        // Missing from one answer (what the busy run saw): alive.
        view.Apply(withoutPeer);
        Assert.Contains(view.Nodes, n => n.Id == peer);
        Assert.Empty(died);

        // Missing from answers, but fewer than the limit in a row, with one full answer between: alive throughout.
        for (var i = 1; i < OrleansRay.Placement.ClusterRefresh.AbsentExchangesForDeath - 1; i++)
        {
            view.Apply(withoutPeer);
            Assert.Contains(view.Nodes, n => n.Id == peer);
        }

        view.Apply(rows);
        for (var i = 0; i < OrleansRay.Placement.ClusterRefresh.AbsentExchangesForDeath - 1; i++)
        {
            view.Apply(withoutPeer);
        }

        Assert.Contains(view.Nodes, n => n.Id == peer);
        Assert.Empty(died);

        // Missing from the limit's worth in a row: dead, as a node whose row the table lost with a restarted head.
        view.Apply(withoutPeer);
        Assert.DoesNotContain(view.Nodes, n => n.Id == peer);
        Assert.Equal([peer], died);

        // A row the table shows dead is a death at once.
        var other = _cluster.Nodes[0].NodeId;
        view.Apply(rows.Select(r => r.NodeId == other ? r with { IsAlive = false } : r).ToList());
        Assert.DoesNotContain(view.Nodes, n => n.Id == other);
        Assert.Equal([peer, other], died);
    }

    [Fact]
    public async Task Exchanges_with_the_node_table_go_one_at_a_time_each_applied_before_the_next_is_sent()
    {
        // The root cause of the busy run's false death: a starting node's refresh loop and its start-up refresh each
        // exchanged with the table, and the older answer (no sibling yet) was applied after the newer one.
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        var runtime = IRayRuntimeAccess.Of(ray);
        var view = runtime.Cluster.Refresh;
        await view.StopAsync();
        var rows = await runtime.GrainFactory.GetGrain<Grains.INodeTableGrain>(0).ListAsync();
        var peer = _cluster.Nodes[1].NodeId;
        var older = new TaskCompletionSource<IReadOnlyList<NodeStatus>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var applied = 0;
        view.Refreshed += () => Interlocked.Increment(ref applied);
        var appliedWhenSecondSent = -1;
        var sent = 0;
        view.ExchangeForTest = () =>
        {
            if (Interlocked.Increment(ref sent) == 1)
            {
                return older.Task;
            }

            appliedWhenSecondSent = Volatile.Read(ref applied);
            return Task.FromResult<IReadOnlyList<NodeStatus>>(rows);
        };

        var first = view.RefreshAsync();
        var second = view.RefreshAsync();
        Assert.Equal(1, Volatile.Read(ref sent)); // the second waits while the first is in flight

        older.SetResult(rows.Where(r => r.NodeId != peer).ToList());
        await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, sent);
        Assert.Equal(1, appliedWhenSecondSent);
        Assert.Equal(2, applied);
        Assert.Contains(view.Nodes, n => n.Id == peer);
    }
}
