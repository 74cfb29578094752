using OrleansRay.Cluster.TestApp;
using OrleansRay.Cluster.Tests.Drivers;
using OrleansRay.Cluster.Tests.Fixtures;
using OrleansRay.Tests.Processes;
using Xunit;
using Xunit.Abstractions;

namespace OrleansRay.Cluster.Tests;

/// <summary>Issue 11 on real node processes (head + 2 workers, each with its own <c>orleansray-store</c> process): large
/// values live in the store of the node that made them, move store-to-store, are mapped zero-copy by a driver on the
/// same machine, are freed everywhere with their last ref, and are rebuilt from lineage when their node is killed.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ObjectPathTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    private readonly SharedCluster _shared;
    private readonly ITestOutputHelper _output;

    public ObjectPathTests(SharedCluster shared, ITestOutputHelper output)
    {
        _shared = shared;
        _output = output;
    }

    private LocalCluster Cluster => _shared.Cluster;

    public Task InitializeAsync() => _shared.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_64_MiB_result_lives_in_its_nodes_store_is_pulled_once_by_another_node_mapped_by_the_driver_and_freed_everywhere()
    {
        const int n = 8 << 20; // 8 Mi doubles = 64 MiB
        await using var ray = await Driver.ConnectAsync(Cluster); // through the head: it uses the head's store
        var (maker, reader) = (_shared.Workers[0], _shared.Workers[1]);
        await using var makerStore = await NodeStores.ConnectAsync(Cluster, maker);
        await using var readerStore = await NodeStores.ConnectAsync(Cluster, reader);
        await using var headStore = await NodeStores.ConnectAsync(Cluster, Cluster.Head);
        var makerId = await Driver.IdOfAsync(ray, maker);
        var readerId = await Driver.IdOfAsync(ray, reader);

        var ramp = ray.Task(Arrays.Ramp, n, 3.0).Options(new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(makerId) }).Remote();
        var (ready, _) = await ray.WaitAsync([ramp], numReturns: 1, timeout: Deadline);
        Assert.Equal(ramp.Id, Assert.Single(ready).Id);
        var id = NodeStores.IdOf(ramp);
        Assert.True(await makerStore.ContainsAsync(id), "the result is in the store of the node that made it");
        var makerStats = await makerStore.GetStatsAsync();
        Assert.True(makerStats.UsedBytes >= n * 8L, $"the maker's store holds its 64 MiB: {makerStats}");
        Assert.False(await readerStore.ContainsAsync(id));
        Assert.False(await headStore.ContainsAsync(id));

        // A task on the third node reads it: one store-to-store pull into a secondary copy there, byte-exact.
        var pulledBefore = (await readerStore.GetStatsAsync()).PullBytesReceived;
        var (exact, node) = await ray.GetAsync(
            ray.Task(Arrays.IsRamp, ramp, n, 3.0).Options(new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(readerId) }).Remote(),
            Deadline);
        Assert.True(exact, "the reader saw every element of the ramp");
        Assert.Equal(readerId.Value, node);
        var readerStats = await readerStore.GetStatsAsync();
        Assert.Equal(n * 8L, readerStats.PullBytesReceived - pulledBefore);
        Assert.True(await readerStore.ContainsAsync(id), "the reader keeps a secondary copy");

        // The driver maps it zero-copy in its node's store (pulled there first): the view pins the store's object.
        using (var view = await ray.GetBufferAsync<double>(ramp))
        {
            Assert.Equal(n, view.Length);
            Assert.Equal(3.0, view.Span[0]);
            Assert.Equal(3.0 + ((n - 1) * 0.5), view.Span[^1]);
            Assert.True(await headStore.ContainsAsync(id), "the driver's view is of a copy in its node's store");
            Assert.True((await headStore.GetStatsAsync()).PinnedCount >= 1, "the view pins the object in shared memory (no copy)");
        }

        // Disposing the view unpins it (the release reaches the store asynchronously).
        await Poll.UntilAsync(async () => (await headStore.GetStatsAsync()).PinnedCount == 0, TimeSpan.FromSeconds(10), "the view's pin to be released");

        ramp.Dispose();
        await Poll.UntilAsync(
            async () => !await makerStore.ContainsAsync(id) && !await readerStore.ContainsAsync(id) && !await headStore.ContainsAsync(id),
            TimeSpan.FromSeconds(20),
            "freeing the last ref deletes the primary and every secondary copy");
    }

    [Fact]
    public async Task Results_lost_with_a_killed_node_are_rebuilt_from_lineage_and_the_driver_that_put_there_gives_it_up()
    {
        const int n = 1 << 20; // 8 MiB each
        await using var ray = await Driver.ConnectAsync(Cluster);
        var victim = _shared.Workers[0];
        var victimId = await Driver.IdOfAsync(ray, victim);
        var there = new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(victimId, soft: true) };

        // A result, and a chain of three dependent results, all made (and stored) on the victim.
        var single = ray.Task(Arrays.Ramp, n, 1.0).Options(there).Remote();
        var first = ray.Task(Arrays.Ramp, n, 10.0).Options(there).Remote();
        var second = ray.Task(Arrays.AddOne, first).Options(there).Remote();
        var third = ray.Task(Arrays.AddOne, second).Options(there).Remote();
        var (ready, _) = await ray.WaitAsync([single, first, second, third], numReturns: 4, timeout: Deadline);
        Assert.Equal(4, ready.Count);

        // A second driver, connected through the victim, puts a value: it lives in the victim's store.
        var putter = await Ray.InitAsync(new RayOptions { Address = victim.Address, AuthToken = Cluster.AuthToken });
        ObjectRef<double[]> put;
        try
        {
            put = await putter.PutAsync(Arrays.Ramp(n, 7.0));
            Assert.Equal(7.0, (await putter.GetAsync(put))[0]);

            await Cluster.KillAsync(victim);
            // Its store process follows it: no copy of what was made there survives.
            Assert.NotNull(victim.Store);
            var victimStore = victim.Store.Value;
            await Poll.UntilAsync(() => !ProcessTree.IsRunning(victimStore), TimeSpan.FromSeconds(20), "the killed node's store process to exit");

            // Every result reads back right: rebuilt on the surviving nodes by running its tasks again.
            Assert.Equal(1.0 + 5.0, (await ray.GetAsync(single, Deadline))[10]);
            var rebuilt = await ray.GetAsync(third, Deadline);
            Assert.Equal(n, rebuilt.Length);
            Assert.Equal(10.0 + 2.0, rebuilt[0]);
            Assert.Equal(10.0 + ((n - 1) * 0.5) + 2.0, rebuilt[^1]);
            Assert.Equal(10.0 + 1.0, (await ray.GetAsync(second, Deadline))[0]);
            Assert.Equal(10.0, (await ray.GetAsync(first, Deadline))[0]);

            // The putter lived on the victim (its gateway and store), as Ray's driver on its raylet: it gives its cluster
            // up once the victim's port refuses connections (ClusterLostException naming that node). Read before then,
            // the put, which has no task to rebuild it from, is lost with that reason.
            Exception? last = null;
            await Poll.UntilAsync(async () =>
            {
                try
                {
                    await putter.GetAsync(put, Deadline);
                    throw new Xunit.Sdk.XunitException("the put on the killed node read back");
                }
                catch (ObjectLostException ex)
                {
                    Assert.Contains("it was put (PutAsync), so there is no task to rebuild it from", ex.Message, StringComparison.Ordinal);
                    last = ex;
                    return false;
                }
                catch (ClusterLostException ex)
                {
                    last = ex;
                    return true;
                }
            }, Deadline, "the putter to give up its killed node", () => last?.ToString() ?? "no read yet");
            _output.WriteLine(last!.Message);
            Assert.StartsWith($"The OrleansRay node at {victim.Address}, through which this driver connected, is gone", last.Message, StringComparison.Ordinal);
        }
        finally
        {
            await putter.DisposeAsync();
        }
    }
}
