using System.Security.Cryptography;
using OrleansRay.Internal;
using OrleansRay.ObjectStore;
using OrleansRay.Ownership;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>Two nodes in this process whose Orleans messages carry at most 8 MiB of body (Orleans' default is 100 MB),
/// so values of 20 MiB show what happens to values over 100 MB at the default.</summary>
public sealed class SmallMessageClusterFixture : IAsyncLifetime
{
    /// <summary>The nodes' message body limit: below the test values, and below a task channel frame (16 MiB), over
    /// which a value would fall back to an Orleans message.</summary>
    public const int MessageLimit = 8 << 20;

    public InProcessCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await InProcessCluster.StartAsync(MessageLimit, (2, null), (2, null));

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>A connected driver without an object store of its own (its node runs elsewhere; here: in-process nodes,
/// whose stores have no socket a driver could map) puts its large values, and its large value arguments, into the store
/// of the node it connected through, in chunks over that store's transfer endpoint (Ray Client's chunked put), and stays
/// their owner. Before, it kept them in its own memory, and a task on a node read them through an Orleans message: over
/// the message limit the connection broke and the task never got its value.</summary>
public sealed class StorelessDriverTests : IClassFixture<SmallMessageClusterFixture>
{
    private const int Size = 20 << 20; // over the message limit and over a task channel frame (16 MiB)
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly InProcessCluster _cluster;

    public StorelessDriverTests(SmallMessageClusterFixture fixture) => _cluster = fixture.Cluster;

    private InProcessCluster.Node Near => _cluster.Nodes[0];

    private InProcessCluster.Node Far => _cluster.Nodes[1];

    private static TaskOptions On(InProcessCluster.Node node) => new() { SchedulingStrategy = SchedulingStrategy.NodeAffinity(node.NodeId) };

    public static string Checksum(byte[] data) => Convert.ToHexString(SHA256.HashData(data));

    public static string ChecksumOfText(string text) => Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));

    private static byte[] Noise(int seed)
    {
        var data = new byte[Size];
        new Random(seed).NextBytes(data);
        return data;
    }

    private async Task<IRay> ConnectStorelessAsync()
    {
        var ray = await Ray.InitAsync(new RayOptions { Address = Near.GatewayAddress, AuthToken = _cluster.AuthToken });
        Assert.Null(((IRayRuntimeAccess)ray).Runtime.Store); // the premise: this driver has no store of its own
        return ray;
    }

    [Fact]
    public async Task A_put_over_the_message_limit_lands_in_the_nodes_store_owned_by_the_driver_and_a_task_on_another_node_reads_it_intact()
    {
        await using var ray = await ConnectStorelessAsync();
        var runtime = ((IRayRuntimeAccess)ray).Runtime;
        var nearStore = Near.Runtime.Store!;
        var data = Noise(1);
        var expected = Checksum(data);

        var put = await ray.PutAsync(data);

        // A task on the other node reads it intact; so does the driver (over the holder's transfer endpoint).
        Assert.Equal(expected, await ray.GetAsync(ray.Task(Checksum, put).Options(On(Far)).Remote(), Deadline));
        Assert.Equal(expected, Checksum(await ray.GetAsync(put, Deadline)));

        // It is sealed in the store of the node the driver connected through, and the driver owns it.
        var id = LocalObjectStore.ToStoreId(put.Id);
        Assert.True(await nearStore.Client.ContainsAsync(id), "the value is in the store of the node the driver connected through");
        Assert.True(runtime.Objects.TryGet(put.Id, out var entry), "the driver owns it");
        Assert.Equal(nearStore.Endpoint, entry!.StoredObject?.Store);

        // A filled put goes the same way.
        var filled = await ray.PutAsync<byte, byte[]>(Size, data, static (span, source) => source.AsSpan().CopyTo(span));
        Assert.True(await nearStore.Client.ContainsAsync(LocalObjectStore.ToStoreId(filled.Id)), "the filled array is in the node's store");
        Assert.Equal(expected, await ray.GetAsync(ray.Task(Checksum, filled).Options(On(Far)).Remote(), Deadline));
        filled.Dispose();

        // Freed with the driver's last ref: the node's primary copy and the reader's secondary copy go.
        put.Dispose();
        await Eventually.TrueAsync(
            async () => !await nearStore.Client.ContainsAsync(id) && !await Far.Runtime.Store!.Client.ContainsAsync(id),
            Deadline,
            "freeing the driver's ref deletes every copy");
        Assert.DoesNotContain(put.Id, Near.Runtime.Values.DriverObjects.Of(runtime.WorkerId)); // nothing left to free when it leaves
    }

    [Fact]
    public async Task Value_arguments_over_the_message_limit_reach_a_task_on_another_node_through_the_nodes_store()
    {
        await using var ray = await ConnectStorelessAsync();
        var data = Noise(2);
        var text = new string('x', Size / 2) + "end"; // serialized, not raw: over the limit too
        var list = Enumerable.Range(0, Size / 8).Select(i => (double)i).ToList(); // packed by the driver's job code

        var sum = ray.Task(Checksum, data).Options(On(Far)).Remote();
        var textSum = ray.Task(ChecksumOfText, text).Options(On(Far)).Remote();
        var listSum = ray.Task(Sum, list).Options(On(Far)).Remote();

        Assert.Equal(Checksum(data), await ray.GetAsync(sum, Deadline));
        Assert.Equal(ChecksumOfText(text), await ray.GetAsync(textSum, Deadline));
        Assert.Equal(list.Sum(), await ray.GetAsync(listSum, Deadline));
    }

    public static double Sum(List<double> values) => values.Sum();

    public static byte[] MakeNoise(int seed) => Noise(seed);

    [Fact]
    public async Task A_storeless_driver_gets_a_result_over_the_message_limit_from_the_node_that_made_it()
    {
        // Guards the read side, which fetches over the holder store's transfer endpoint (no message carries it).
        await using var ray = await ConnectStorelessAsync();
        var made = ray.Task(MakeNoise, 3).Options(On(Far)).Remote();
        Assert.Equal(Checksum(Noise(3)), Checksum(await ray.GetAsync(made, Deadline)));
    }

    [Fact]
    public async Task A_storeless_drivers_puts_leave_the_nodes_store_when_it_disposes()
    {
        var nearStore = Near.Runtime.Store!;
        var ray = await ConnectStorelessAsync();
        StoreObjectId id;
        WorkerId driver;
        try
        {
            driver = ((IRayRuntimeAccess)ray).Runtime.WorkerId;
            var put = await ray.PutAsync(Noise(5));
            id = LocalObjectStore.ToStoreId(put.Id);
            Assert.True(await nearStore.Client.ContainsAsync(id), "the value is in the node's store while its driver lives");
            Assert.Contains(put.Id, Near.Runtime.Values.DriverObjects.Of(driver));
        }
        finally
        {
            // The ref is never freed: the driver leaves owning it. Its runtime's own one-way frees, sent as it shuts
            // down, race the connection's close (and a process that exits at once may never send them): they are
            // taken out, so what frees the object here is the dispose's release, which the dispose awaits.
            ((IRayRuntimeAccess)ray).Runtime.Objects.FreedElsewhere = null;
            await ray.DisposeAsync();
        }

        await Eventually.TrueAsync(async () => !await nearStore.Client.ContainsAsync(id), DisposeDeadline, "the node frees what a driver that disposed put into its store");
        Assert.Empty(Near.Runtime.Values.DriverObjects.Of(driver));
    }

    [Fact]
    public async Task A_storeless_drivers_puts_leave_the_nodes_store_once_the_cluster_declares_the_killed_driver_dead()
    {
        var nearStore = Near.Runtime.Store!;
        var ray = await ConnectStorelessAsync();
        StoreObjectId id;
        try
        {
            var put = await ray.PutAsync(Noise(6));
            id = LocalObjectStore.ToStoreId(put.Id);
            Assert.True(await nearStore.Client.ContainsAsync(id), "the value is in the node's store while its driver lives");
        }
        finally
        {
            await ((RayDriver)ray).DropAsIfKilledAsync(); // no goodbye: neither its job's end nor a release reaches the node
        }

        // The job table declares the job failed once the driver has not reported for 15 s; the node then frees its puts.
        await Eventually.TrueAsync(async () => !await nearStore.Client.ContainsAsync(id), KilledDriverDeadline, "the node frees what a killed driver put into its store");
    }

    /// <summary>A result over the inline threshold (100 KiB), small enough that the test values never press the store.</summary>
    public static byte[] MakeResult(int seed)
    {
        var data = new byte[1 << 20];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>Runs <see cref="MakeResult"/> on the far node (not the one the driver connected through, which its
    /// dispose tells directly) and waits until the far node's store holds the result, recorded as the driver's.</summary>
    private async Task<(ObjectRef<byte[]> Result, StoreObjectId Id)> StoredResultAsync(IRay ray, int seed)
    {
        var driver = ((IRayRuntimeAccess)ray).Runtime.WorkerId;
        var made = ray.Task(MakeResult, seed).Options(On(Far)).Remote();
        var id = LocalObjectStore.ToStoreId(made.Id);
        await Eventually.TrueAsync(
            async () => await Far.Runtime.Store!.Client.ContainsAsync(id) && Far.Runtime.Values.DriverObjects.Of(driver).Contains(made.Id),
            Deadline,
            "the task's large result is in the far node's store, recorded as the driver's");
        return (made, id);
    }

    [Fact]
    public async Task A_connected_drivers_large_task_results_leave_the_nodes_store_when_it_disposes()
    {
        var farStore = Far.Runtime.Store!;
        var ray = await ConnectStorelessAsync();
        var driver = ((IRayRuntimeAccess)ray).Runtime.WorkerId;
        StoreObjectId id;
        try
        {
            var (made, stored) = await StoredResultAsync(ray, 7);
            id = stored;
            Assert.Equal(Checksum(MakeResult(7)), Checksum(await ray.GetAsync(made, Deadline)));
            GC.KeepAlive(made); // never freed: the driver leaves owning it
        }
        finally
        {
            // The driver's own one-way frees race its connection's close: taken out, so what frees the result is the
            // node learning that the driver's job ended.
            ((IRayRuntimeAccess)ray).Runtime.Objects.FreedElsewhere = null;
            await ray.DisposeAsync();
        }

        await Eventually.TrueAsync(async () => !await farStore.Client.ContainsAsync(id), DisposeDeadline, "the node frees the large result of a task of a driver that disposed");
        Assert.Empty(Far.Runtime.Values.DriverObjects.Of(driver));
    }

    [Fact]
    public async Task A_killed_connected_drivers_large_task_results_leave_the_nodes_store_once_its_job_is_declared_ended_and_a_live_drivers_stay()
    {
        var farStore = Far.Runtime.Store!;
        await using var live = await ConnectStorelessAsync();
        var (kept, keptId) = await StoredResultAsync(live, 8);
        var ray = await ConnectStorelessAsync();
        StoreObjectId id;
        try
        {
            var (made, stored) = await StoredResultAsync(ray, 9);
            id = stored;
            GC.KeepAlive(made);
        }
        finally
        {
            await ((RayDriver)ray).DropAsIfKilledAsync(); // no goodbye: its job is declared ended 15 s after its last report
        }

        await Eventually.TrueAsync(async () => !await farStore.Client.ContainsAsync(id), KilledDriverDeadline, "the node frees the large result of a task of a killed driver");

        // The live driver's result, on the same node, is untouched by the other driver's death.
        Assert.True(await farStore.Client.ContainsAsync(keptId), "a live driver's large result stays in the node's store");
        Assert.Contains(kept.Id, Far.Runtime.Values.DriverObjects.Of(((IRayRuntimeAccess)live).Runtime.WorkerId));
        Assert.Equal(Checksum(MakeResult(8)), Checksum(await live.GetAsync(kept, Deadline)));
    }

    /// <summary>A disposing driver tells its node to free its puts: well before the job table would declare it dead.</summary>
    private static readonly TimeSpan DisposeDeadline = TimeSpan.FromSeconds(10);

    /// <summary>The job table waits 15 s for a silent driver; the rest allows for a loaded machine.</summary>
    private static readonly TimeSpan KilledDriverDeadline = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_put_larger_than_the_nodes_store_fails_with_ObjectStoreFullRayException_and_the_driver_goes_on()
    {
        await using var ray = await ConnectStorelessAsync();
        var runtime = ((IRayRuntimeAccess)ray).Runtime;
        var before = runtime.Objects.Entries.Count();
        var tooLarge = new byte[80 << 20]; // the node's store holds 64 MiB

        var full = await Assert.ThrowsAsync<ObjectStoreFullRayException>(async () => await ray.PutAsync(tooLarge));
        Assert.Contains("can never fit in the object store", full.Message, StringComparison.Ordinal);
        Assert.Equal(before, runtime.Objects.Entries.Count()); // nothing half-made is left owned

        // The driver and the node's store go on working.
        var data = Noise(4);
        var put = await ray.PutAsync(data);
        Assert.Equal(Checksum(data), await ray.GetAsync(ray.Task(Checksum, put).Options(On(Far)).Remote(), Deadline));
    }
}
