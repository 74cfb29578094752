using System.Runtime.CompilerServices;
using OrleansRay.ObjectStore;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>One embedded node with a small (128 MiB: room for one 10M-double array) object store, for the store
/// integration tests.</summary>
public sealed class SmallStoreFixture : IAsyncLifetime
{
    public const long StoreBytes = 128L << 20;

    public IRay Ray { get; private set; } = null!;

    public ObjectStoreClient Store => ((RayInstance)Ray).Runtime.Store!.Client;

    public async Task InitializeAsync()
    {
        Ray = await OrleansRay.Ray.InitAsync(new RayOptions { NumCpus = 2, ObjectStoreMemory = StoreBytes, Namespace = "store-tests" });
    }

    public async Task DisposeAsync() => await Ray.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class SmallStoreCollection : ICollectionFixture<SmallStoreFixture>
{
    public const string Name = "small object store";
}

/// <summary>Remote functions and an actor for the store tests.</summary>
public static class StoreFunctions
{
    public static double[] Ramp(int n)
    {
        var values = new double[n];
        for (var i = 0; i < n; i++)
        {
            values[i] = i * 0.5;
        }

        return values;
    }

    public static double Sum(double[] values)
    {
        var sum = 0.0;
        foreach (var v in values)
        {
            sum += v;
        }

        return sum;
    }

    /// <summary>Mutates its argument: the stored object must not change (each reader gets its own copy).</summary>
    public static double ScribbleThenSum(double[] values)
    {
        var sum = Sum(values);
        Array.Fill(values, -1.0);
        return sum;
    }
}

public sealed class BigArrayMaker
{
    public int[] Make(int n) => Enumerable.Range(0, n).ToArray();
}

[Collection(SmallStoreCollection.Name)]
public sealed class ObjectStoreIntegrationTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly SmallStoreFixture _fixture;
    private readonly IRay _ray;

    public ObjectStoreIntegrationTests(SmallStoreFixture fixture)
    {
        _fixture = fixture;
        _ray = fixture.Ray;
    }

    private Task<ObjectStoreStats> StatsAsync() => _fixture.Store.GetStatsAsync().AsTask();

    private Task<bool> InStoreAsync(ObjectRef r) => _fixture.Store.ContainsAsync(new StoreObjectId(r.Id.Hi, r.Id.Lo)).AsTask();

    [Fact]
    public async Task A_10M_double_put_lands_in_the_store_and_reads_back_equal()
    {
        var data = StoreFunctions.Ramp(10_000_000);
        ObjectRef<double[]> r = await _ray.PutAsync(data);
        try
        {
            Assert.True(await InStoreAsync(r));
            // The object's own bytes, not a difference of store-wide totals: an earlier test's object freed meanwhile
            // would change those (issue 9, case 16).
            using (var stored = await _fixture.Store.GetAsync(new StoreObjectId(r.Id.Hi, r.Id.Lo), Deadline))
            {
                Assert.True(stored.Length >= 80_000_000, $"the stored object has {stored.Length} bytes");
            }

            Assert.True((await StatsAsync()).IsConsistent);

            double[] back = await _ray.GetAsync(r);
            Assert.Equal(data, back);
            back[0] = 99; // a reader's copy is its own
            Assert.Equal(0.0, (await _ray.GetAsync(r))[0]);
            Assert.NotSame(back, await _ray.GetAsync(r));
            Assert.Equal(data, (await _ray.GetAsync(new[] { r }))[0]);
        }
        finally
        {
            r.Dispose();
        }
    }

    [Fact]
    public async Task GetBufferAsync_of_a_stored_array_maps_it_zero_copy_and_pins_it_until_disposed()
    {
        var data = StoreFunctions.Ramp(1_000_000);
        var r = await _ray.PutAsync(data);
        var pinnedBefore = (await StatsAsync()).PinnedCount;
        using (ObjectBuffer<double> view = await _ray.GetBufferAsync<double>(r))
        {
            Assert.Equal(data.Length, view.Length);
            Assert.True(view.Span.SequenceEqual(data));
            Assert.Equal(pinnedBefore + 1, (await StatsAsync()).PinnedCount);

            // Two views of the stored object share one mapping: same address, no copy.
            using var second = await _ray.GetBufferAsync<double>(r);
            Assert.True(Unsafe.AreSame(ref Unsafe.AsRef(in view.Span[0]), ref Unsafe.AsRef(in second.Span[0])));
        }

        Assert.Equal(pinnedBefore, (await StatsAsync()).PinnedCount);

        // Freed while a view lives: the store keeps it until the view goes.
        var view2 = await _ray.GetBufferAsync<double>(r);
        r.Dispose();
        Assert.Equal(data[^1], view2.Span[^1]);
        view2.Dispose();
        Assert.Throws<ObjectDisposedException>(() => view2.Span.Length);
        await Eventually.TrueAsync(async () => !await InStoreAsync(r), Deadline, "the freed object leaves the store once unpinned");
    }

    [Fact]
    public async Task A_task_returning_a_large_array_stores_it_and_a_dependent_task_reads_it()
    {
        var made = _ray.Task(StoreFunctions.Ramp, 2_000_000).Remote();
        var sum = _ray.Task(StoreFunctions.ScribbleThenSum, made).Remote();
        var expected = StoreFunctions.Sum(StoreFunctions.Ramp(2_000_000));
        Assert.Equal(expected, await _ray.GetAsync(sum, Deadline));
        Assert.True(await InStoreAsync(made));
        Assert.Equal(expected, await _ray.GetAsync(_ray.Task(StoreFunctions.Sum, made).Remote(), Deadline));
        using var view = await _ray.GetBufferAsync<double>(made);
        Assert.Equal(0.5, view.Span[1]);
    }

    [Fact]
    public async Task An_actor_method_returning_a_large_array_stores_it()
    {
        var maker = _ray.Actor(() => new BigArrayMaker()).Remote();
        var r = maker.Task((m, n) => m.Make(n), 100_000).Remote();
        var back = await _ray.GetAsync(r, Deadline);
        Assert.Equal(99_999, back[^1]);
        Assert.True(await InStoreAsync(r));
    }

    [Fact]
    public async Task Releasing_the_ref_deletes_the_object_from_the_store()
    {
        var before = await StatsAsync();
        var r = await _ray.PutAsync(new byte[4 << 20]);
        Assert.True(await InStoreAsync(r));
        r.Dispose();
        await Eventually.TrueAsync(async () => !await InStoreAsync(r), Deadline, "Dispose deletes the stored object");
        await Eventually.TrueAsync(async () => (await StatsAsync()).ObjectCount <= before.ObjectCount, Deadline, "the store's object count goes back down");

        // Dropped by the GC: the finalizer releases the handle, the object leaves the store.
        var id = await PutAndForgetAsync(_ray);
        await Eventually.TrueAsync(
            async () =>
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                return !await _fixture.Store.ContainsAsync(id);
            },
            Deadline,
            "a collected ref deletes its stored object");
        await Eventually.TrueAsync(async () => (await StatsAsync()).ObjectCount <= before.ObjectCount, Deadline, "the store's object count goes back down after GC");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<StoreObjectId> PutAndForgetAsync(IRay ray)
    {
        var r = await ray.PutAsync(new float[1 << 20]);
        return new StoreObjectId(r.Id.Hi, r.Id.Lo);
    }

    [Fact]
    public async Task Ten_times_the_store_size_completes_by_spilling_and_every_object_reads_back_equal()
    {
        const int count = 40;
        const int length = (16 << 20) / sizeof(long); // 16 MiB each: 640 MiB through a 64 MiB store
        await using var ray = await Ray.InitAsync(new RayOptions { NumCpus = 1, ObjectStoreMemory = 64L << 20, Namespace = "spill-tests" });
        var store = ((RayInstance)ray).Runtime.Store!.Client;
        Assert.Equal(64L << 20, store.Capacity);
        Task<ObjectStoreStats> StatsAsync() => store.GetStatsAsync().AsTask();
        var refs = new List<ObjectRef<long[]>>();
        var spillsBefore = (await StatsAsync()).SpillCount;
        try
        {
            for (var i = 0; i < count; i++)
            {
                var values = new long[length];
                Array.Fill(values, i * 1_000_003L);
                values[^1] = i;
                refs.Add(await ray.PutAsync(values));
            }

            var stats = await StatsAsync();
            Assert.True(stats.SpillCount - spillsBefore >= count - 4, stats.ToString());
            Assert.True(stats.IsConsistent, stats.ToString());
            for (var i = 0; i < count; i++)
            {
                var back = await ray.GetAsync(refs[i], Deadline);
                Assert.Equal(length, back.Length);
                Assert.Equal(i * 1_000_003L, back[0]);
                Assert.Equal(i * 1_000_003L, back[length / 2]);
                Assert.Equal(i, back[^1]);
            }

            Assert.True((await StatsAsync()).RestoreCount > 0);
        }
        finally
        {
            refs.ForEach(r => r.Dispose());
        }

        await Eventually.TrueAsync(async () => (await StatsAsync()) is { SpilledCount: 0, SpilledBytes: 0 }, Deadline, "freed objects leave the spill folder too");
    }

    [Fact]
    public async Task Small_values_do_not_touch_the_store()
    {
        var before = await StatsAsync();
        var refs = new List<ObjectRef>
        {
            await _ray.PutAsync(42),
            await _ray.PutAsync("small"),
            await _ray.PutAsync(new double[100]),
            await _ray.PutAsync(new byte[100 * 1024]), // exactly the threshold: inline
            await _ray.PutAsync(Enumerable.Range(0, 1000).ToList()),
            _ray.Task(StoreFunctions.Ramp, 1000).Remote(),
        };
        await _ray.WaitAsync(refs, numReturns: refs.Count, timeout: Deadline);
        foreach (var r in refs)
        {
            Assert.False(await InStoreAsync(r));
        }

        // Nothing was added; an earlier test's object may have been freed (by its finalizer) meanwhile, so at most.
        var after = await StatsAsync();
        Assert.True(after.ObjectCount <= before.ObjectCount, $"before {before}, after {after}");
        Assert.True(after.UsedBytes <= before.UsedBytes, $"before {before}, after {after}");
        refs.ForEach(r => r.Dispose());
    }

    [Fact]
    public async Task Large_non_array_values_are_serialized_into_the_store()
    {
        var text = new string('x', 300_000);
        var list = Enumerable.Range(0, 50_000).ToList();
        var strings = Enumerable.Range(0, 20_000).Select(i => "s" + i).ToArray();
        var t = await _ray.PutAsync(text);
        var l = await _ray.PutAsync(list);
        var s = await _ray.PutAsync(strings);
        Assert.True(await InStoreAsync(t));
        Assert.True(await InStoreAsync(l));
        Assert.True(await InStoreAsync(s));
        Assert.Equal(text, await _ray.GetAsync(t));
        Assert.Equal(list, await _ray.GetAsync(l));
        Assert.Equal(strings, await _ray.GetAsync(s));
        t.Dispose();
        l.Dispose();
        s.Dispose();
    }

    [Fact]
    public async Task A_value_larger_than_the_store_fails_with_ObjectStoreFullRayException_without_hanging()
    {
        var tooBig = new byte[(int)SmallStoreFixture.StoreBytes + (1 << 20)];
        var ex = await Assert.ThrowsAsync<ObjectStoreFullRayException>(async () => await _ray.PutAsync(tooBig).AsTask().WaitAsync(Deadline));
        Assert.IsAssignableFrom<RayException>(ex);

        var result = _ray.Task((int n) => new byte[n], tooBig.Length).Remote();
        var stored = await Assert.ThrowsAsync<ObjectStoreFullRayException>(async () => await _ray.GetAsync(result, Deadline));
        // A cluster has a store per node: a result's failure names the node whose store refused it.
        Assert.True(stored.Message.Contains($"On node {_ray.NodeId}: The object of ", StringComparison.Ordinal), stored.ToString());
        Assert.True((await StatsAsync()).IsConsistent);
    }

    [Fact]
    public async Task A_full_store_says_how_to_give_it_more_memory_in_the_users_options_not_the_stores_internal_ones()
    {
        var tooBig = new byte[(int)SmallStoreFixture.StoreBytes + (1 << 20)];
        var ex = await Assert.ThrowsAsync<ObjectStoreFullRayException>(async () => await _ray.PutAsync(tooBig).AsTask().WaitAsync(Deadline));

        Assert.Contains("--object-store-memory", ex.Message, StringComparison.Ordinal);
        Assert.Contains("RayOptions.ObjectStoreMemory", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("ObjectStoreOptions", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("orleansray-store", ex.Message, StringComparison.Ordinal);
    }
}
