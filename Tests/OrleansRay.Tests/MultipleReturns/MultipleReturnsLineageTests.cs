using OrleansRay.Internal;
using OrleansRay.Ownership;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.MultipleReturns;

/// <summary>Lineage reconstruction of one return of several (Ray's <c>num_returns</c>): a return lost with its node is
/// rebuilt by running the task again, which fills only the returns that need it.</summary>
public sealed class MultipleReturnsLineageTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private InProcessCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await InProcessCluster.StartAsync((2, null), (2, null));

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_return_lost_with_its_node_is_rebuilt_by_rerunning_the_task_while_a_freed_one_stays_freed()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        var objects = ((IRayRuntimeAccess)ray).Runtime.Objects;
        var (leaving, staying) = (_cluster.Nodes[1], _cluster.Nodes[0]);
        var stayingStore = staying.Runtime.Store!.Client;
        var seed = Random.Shared.Next(1, int.MaxValue);

        var (a, b, small) = ray.Task(ReturnsFunctions.LargePair, seed)
            .Options(new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(leaving.NodeId, soft: true), MaxRetries = 3 })
            .RemoteMany();
        var (ready, _) = await ray.WaitAsync(new ObjectRef[] { a, b, small }, numReturns: 3, timeout: Deadline);
        Assert.Equal(3, ready.Count);
        Assert.True(await leaving.Runtime.Store!.Client.ContainsAsync(LocalObjectStore.ToStoreId(a.Id)));
        Assert.Equal(1, ReturnsFunctions.LargePairRuns[seed]);

        // B is freed before the node goes: nothing needs it any more.
        b.Dispose();
        await Eventually.TrueAsync(() => !objects.TryGet(b.Id, out _), Deadline, "the freed return leaves the owner's table");

        await _cluster.StopNodeAsync(leaving);

        var rebuilt = await ray.GetAsync(a, Deadline);
        Assert.Equal(seed, rebuilt[0]);
        Assert.Equal(2, ReturnsFunctions.LargePairRuns[seed]);
        Assert.True(await stayingStore.ContainsAsync(LocalObjectStore.ToStoreId(a.Id)), "the rebuilt return is stored on the node that ran the task again");
        Assert.Equal(seed, await small);

        // The rerun made B again on the staying node; its owner had freed it, so that copy is freed too, not kept.
        Assert.False(objects.TryGet(b.Id, out _));
        await Eventually.TrueAsync(async () => !await stayingStore.ContainsAsync(LocalObjectStore.ToStoreId(b.Id)), Deadline, "the rerun's copy of a freed return is freed");
    }
}
