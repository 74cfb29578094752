using OrleansRay.Cluster.TestApp;
using OrleansRay.Cluster.Tests.Drivers;
using OrleansRay.Cluster.Tests.Fixtures;
using Xunit;
using Xunit.Abstractions;

namespace OrleansRay.Cluster.Tests;

/// <summary>Issue 11: a CLI node keeps its large results in its store process, not its managed heap, so live results
/// three times the store's size spill to disk and are restored on read.</summary>
public sealed class SpillTests
{
    private const long StoreBytes = 128L << 20;
    private const int Objects = 24;
    private const int Doubles = 2 << 20; // 16 MiB each: 24 of them are 384 MiB, 3x the store

    private readonly ITestOutputHelper _output;

    public SpillTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task A_node_with_a_128_MiB_store_holds_384_MiB_of_live_results_by_spilling_and_reads_them_all_back()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 0, ObjectStoreMemory = StoreBytes });
        await using var ray = await Driver.ConnectAsync(cluster);
        await using var store = await NodeStores.ConnectAsync(cluster, cluster.Head);

        var heapBefore = await ray.GetAsync(ray.Task(Arrays.LiveHeapBytes).Remote(), TimeSpan.FromMinutes(1));
        var refs = new List<ObjectRef<double[]>>();
        for (var i = 0; i < Objects; i++)
        {
            refs.Add(ray.Task(Arrays.Ramp, Doubles, (double)i).Remote());
        }

        var (ready, _) = await ray.WaitAsync(refs, numReturns: Objects, timeout: TimeSpan.FromMinutes(3));
        Assert.Equal(Objects, ready.Count);
        var afterPuts = await store.GetStatsAsync();
        _output.WriteLine($"after the results: {afterPuts}");
        Assert.True(afterPuts.SpillCount > 0 && afterPuts.SpilledBytes > 0, $"384 MiB of live results in a 128 MiB store must spill: {afterPuts}");
        Assert.Equal(Objects, afterPuts.ObjectCount); // every result is in the store, in memory or spilled

        // Read every one back on the node (each read restores it from disk if needed): all exact.
        for (var i = 0; i < Objects; i++)
        {
            var (exact, _) = await ray.GetAsync(ray.Task(Arrays.IsRamp, refs[i], Doubles, (double)i).Remote(), TimeSpan.FromMinutes(2));
            Assert.True(exact, $"result {i} read back byte-exact");
        }

        var afterReads = await store.GetStatsAsync();
        _output.WriteLine($"after the reads: {afterReads}");
        Assert.True(afterReads.RestoreCount >= afterPuts.SpilledCount, $"every spilled result was restored to be read: {afterReads}");

        // The values live in the store process: the node's own managed heap holds far less than the data.
        var heap = await ray.GetAsync(ray.Task(Arrays.LiveHeapBytes).Remote(), TimeSpan.FromMinutes(1));
        _output.WriteLine($"node live managed heap: {heapBefore / (1 << 20)} MiB before, {heap / (1 << 20)} MiB with {Objects * (long)Doubles * 8 / (1 << 20)} MiB of live results");
        Assert.True(heap - heapBefore < 2L * Doubles * 8, $"the node's live managed heap grew from {heapBefore} to {heap} bytes: more than one result's worth");
        GC.KeepAlive(refs);
    }
}
