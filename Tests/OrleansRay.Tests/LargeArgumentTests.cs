using System.Collections.Concurrent;
using OrleansRay.Internal;
using OrleansRay.Ownership;
using OrleansRay.Tests.Fixtures;
using OrleansRay.Tests.MultipleReturns;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>A value argument above the inline threshold goes into the caller's object store at submission and reaches
/// the task by ref, as Ray puts an argument over 100 KiB into the object store. Inline it travelled inside the call's
/// message: over a task channel frame (16 MiB) it fell back to an Orleans message, and over Orleans' 100 MB body limit
/// the task never ran and the driver's connection broke.</summary>
public sealed class LargeArgumentTests : IClassFixture<TwoNodeFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Gates = new();
    private readonly InProcessCluster _cluster;

    public LargeArgumentTests(TwoNodeFixture fixture) => _cluster = fixture.Cluster;

    [Fact]
    public async Task A_large_value_argument_travels_through_the_object_store_as_a_snapshot()
    {
        // Submitted from a task on the first node (a runtime with a store) to the second node.
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        var near = new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(_cluster.Nodes[0].NodeId) };

        var key = Guid.NewGuid().ToString("N");
        var outcome = (await ray.GetAsync(ray.Task(SubmitLarge, _cluster.Nodes[1].NodeId.Value, key).Options(near).Remote(), Deadline)).Split('|');

        // While the far task waited, its argument was an object the submitter owned, sealed in its node's store.
        Assert.Equal("stored in the submitter's store", outcome[0]);
        // The far task saw the array as it was at Remote(), not as the submitter changed it afterwards.
        Assert.Equal((7L * Size).ToString(System.Globalization.CultureInfo.InvariantCulture), outcome[1]);

        // Held by the task alone: freed once it is done.
        var owner = _cluster.Nodes[0].Runtime;
        Assert.True(ArgumentIds.TryRemove(key, out var argument));
        await Eventually.TrueAsync(
            async () =>
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                return !owner.Objects.TryGet(argument, out _) && !await owner.Store!.Client.ContainsAsync(LocalObjectStore.ToStoreId(argument));
            },
            Deadline,
            "the argument's object is freed after the task");
    }

    private const int Size = 20 << 20; // over a task channel frame (16 MiB)

    private static readonly ConcurrentDictionary<string, ObjectId> ArgumentIds = new();

    private static async Task<string> SubmitLarge(string farNode, string key)
    {
        var ray = Ray.Current;
        var runtime = ((IRayRuntimeAccess)ray).Runtime;
        var gate = Guid.NewGuid().ToString("N");
        Gates[gate] = new SemaphoreSlim(0);
        try
        {
            var data = new byte[Size];
            data.AsSpan().Fill(7);
            var far = new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(new NodeId(farNode)) };

            var sum = ray.Task(SumWhenOpened, data, gate).Options(far).Remote();
            data.AsSpan().Fill(1); // the submitter's own array: the task must see it as it was at Remote()

            var stored = runtime.Objects.Entries.Where(e => e.StoredObject is { Size: Size }).ToList();
            if (stored.Count == 1)
            {
                ArgumentIds[key] = stored[0].Id;
            }

            var where = stored.Count == 1 && await runtime.Store!.Client.ContainsAsync(LocalObjectStore.ToStoreId(stored[0].Id))
                ? "stored in the submitter's store"
                : $"{stored.Count} stored objects of {Size} bytes in the submitter's table";
            Gates[gate].Release();
            var total = await ray.GetAsync(sum, Deadline);
            return FormattableString.Invariant($"{where}|{total}");
        }
        finally
        {
            Gates.TryRemove(gate, out _);
        }
    }

    [Fact]
    public async Task A_small_value_argument_stays_inline()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        var objects = ((IRayRuntimeAccess)ray).Runtime.Objects;
        var before = objects.Entries.Count(e => e.StoredObject is not null);

        Assert.Equal(7L * 1000, await ray.GetAsync(ray.Task(Sum, Enumerable.Repeat((byte)7, 1000).ToArray()).Remote(), Deadline));

        Assert.Equal(before, objects.Entries.Count(e => e.StoredObject is not null));
    }

    private static long Sum(byte[] data)
    {
        long total = 0;
        foreach (var b in data)
        {
            total += b;
        }

        return total;
    }

    private static long SumWhenOpened(byte[] data, string gate)
    {
        if (!Gates[gate].Wait(Deadline))
        {
            throw new TimeoutException("the test never opened the gate");
        }

        return Sum(data);
    }
}
