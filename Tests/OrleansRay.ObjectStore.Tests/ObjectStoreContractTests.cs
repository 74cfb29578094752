using Xunit;

namespace OrleansRay.ObjectStore.Tests;

/// <summary>What every object store deployment must do; run against the embedded store and the orleansray-store process.</summary>
public abstract class ObjectStoreContractTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    private protected abstract Task<TestStore> StartStoreAsync(long capacity, Action<Hosting.ObjectStoreOptions>? configure = null);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(63)]
    [InlineData(65)]
    [InlineData(1 << 20)]
    public async Task Small_objects_round_trip_byte_exact(int size)
    {
        await using var store = await StartStoreAsync(8 << 20);
        await using var client = await store.ConnectAsync();
        var id = StoreObjectId.NewId();
        var data = Patterns.Create(size, (ulong)size);
        await client.PutAsync(id, data);

        using var buffer = await client.GetAsync(id, Long);
        Assert.Equal(size, buffer.Length);
        Assert.True(buffer.Span.SequenceEqual(data));
        Assert.True(await client.ContainsAsync(id));
        var stats = await client.GetStatsAsync();
        Assert.True(stats.IsConsistent, stats.ToString());
        Assert.Equal(size == 0 ? 0 : Arena.ArenaAllocator.AlignedSize(size), stats.UsedBytes);
    }

    [Fact]
    public async Task A_1_GiB_object_round_trips_byte_exact_through_a_second_client()
    {
        const int Size = 1 << 30;
        await using var store = await StartStoreAsync(Size + (1L << 20));
        await using var writer = await store.ConnectAsync();
        await using var reader = await store.ConnectAsync();
        var id = StoreObjectId.NewId();
        await using (var created = await writer.CreateAsync(id, Size))
        {
            Patterns.Fill(created.Span, 42);
            await created.SealAsync();
        }

        using (var buffer = await reader.GetAsync(id, Long))
        {
            Assert.Equal(Size, buffer.Length);
            Assert.Equal(-1, Patterns.FirstMismatch(buffer.Span, 42));
        }

        Assert.True(await reader.DeleteAsync(id));
        var stats = await reader.GetStatsAsync();
        Assert.Equal(0, stats.UsedBytes);
        Assert.True(stats.IsConsistent, stats.ToString());
    }

    [Fact]
    public async Task Typed_views_read_what_was_put()
    {
        await using var store = await StartStoreAsync(4 << 20);
        await using var client = await store.ConnectAsync();
        var id = new StoreObjectId(Guid.NewGuid(), 3);
        var values = Enumerable.Range(0, 10_001).Select(i => i * 0.5).ToArray(); // 80,008 bytes: not a whole number of 16-byte Guids
        await client.PutAsync<double>(id, values);

        using var view = await client.GetAsync<double>(id, Long);
        Assert.Equal(values.Length, view.Length);
        Assert.True(view.Span.SequenceEqual(values));
        Assert.True(view.Memory.Span.SequenceEqual(values));
        await Assert.ThrowsAsync<InvalidCastException>(async () => await client.GetAsync<Guid>(id, Long));
    }

    [Fact]
    public async Task Get_waits_for_a_seal_from_another_client()
    {
        await using var store = await StartStoreAsync(4 << 20);
        await using var reader = await store.ConnectAsync();
        await using var writer = await store.ConnectAsync();
        var id = StoreObjectId.NewId();
        var waiting = reader.GetAsync(id, Long).AsTask();

        await using var created = await writer.CreateAsync(id, 1000);
        Patterns.Fill(created.Span, 7);

        // Created but not sealed: a short get times out instead of seeing half-written bytes.
        await Assert.ThrowsAsync<TimeoutException>(async () => await reader.GetAsync(id, TimeSpan.FromMilliseconds(100)));
        Assert.False(waiting.IsCompleted);

        await created.SealAsync();
        using var buffer = await waiting.WaitAsync(Long);
        Assert.Equal(-1, Patterns.FirstMismatch(buffer.Span, 7));
    }

    [Fact]
    public async Task Get_of_a_deleted_object_answers_at_once_and_waits_again_once_it_is_made_anew()
    {
        await using var store = await StartStoreAsync(1 << 20);
        await using var client = await store.ConnectAsync();
        var id = StoreObjectId.NewId();
        await client.PutAsync(id, Patterns.Create(1000, 3));
        Assert.True(await client.DeleteAsync(id));

        // No seal is coming: not found, before the test's own deadline cancels a get that would wait out its 10 minutes
        // (a peer's pull of an object its owner freed waited 15 s here).
        using (var deadline = new CancellationTokenSource(Long))
        {
            await Assert.ThrowsAsync<TimeoutException>(async () => await client.GetAsync(id, TimeSpan.FromMinutes(10), deadline.Token));
        }

        // Made again (a retry's or a rebuild's result): found, and once it is made, a get of it waits for its seal as
        // for any object (a reader that asked before it was made was told "not here", and asks its owner again).
        await using (var created = await client.CreateAsync(id, 1000))
        {
            var waiting = client.GetAsync(id, Long).AsTask();
            Patterns.Fill(created.Span, 4);
            Assert.False(waiting.IsCompleted);
            await created.SealAsync();
            using var buffer = await waiting.WaitAsync(Long);
            Assert.Equal(-1, Patterns.FirstMismatch(buffer.Span, 4));
        }
    }

    [Fact]
    public async Task Get_of_an_absent_object_times_out()
    {
        await using var store = await StartStoreAsync(1 << 20);
        await using var client = await store.ConnectAsync();
        var missing = StoreObjectId.NewId();
        await Assert.ThrowsAsync<TimeoutException>(async () => await client.GetAsync(missing, TimeSpan.FromMilliseconds(50)));
        var many = await client.GetManyAsync([missing], TimeSpan.Zero);
        Assert.Null(many[0]);
        Assert.False(await client.ContainsAsync(missing));
    }

    [Fact]
    public async Task Creating_an_existing_id_fails()
    {
        await using var store = await StartStoreAsync(1 << 20);
        await using var client = await store.ConnectAsync();
        var id = StoreObjectId.NewId();
        await client.PutAsync(id, new byte[10]);
        await Assert.ThrowsAsync<ObjectAlreadyExistsException>(async () => await client.PutAsync(id, new byte[10]));
    }

    [Fact]
    public async Task Pins_block_eviction_until_the_buffer_is_disposed()
    {
        const int Size = 3 << 20;
        await using var store = await StartStoreAsync(4 << 20);
        await using var client = await store.ConnectAsync();
        var first = StoreObjectId.NewId();
        var second = StoreObjectId.NewId();
        await client.PutAsync(first, Patterns.Create(Size, 1));

        var pinned = await client.GetAsync(first, Long);
        var full = await Assert.ThrowsAsync<ObjectStoreFullException>(async () =>
            await client.CreateAsync(second, Size, timeout: TimeSpan.FromMilliseconds(300)));
        Assert.Contains("--object-store-memory BYTES", full.Message, StringComparison.Ordinal);
        Assert.Contains("4 MiB", full.Message, StringComparison.Ordinal);
        Assert.Equal(-1, Patterns.FirstMismatch(pinned.Span, 1));

        // A create waiting for room succeeds as soon as the pin goes (the first object is spilled, not lost).
        var waitingCreate = client.CreateAsync(second, Size, timeout: Long).AsTask();
        pinned.Dispose();
        await using (var created = await waitingCreate.WaitAsync(Long))
        {
            Patterns.Fill(created.Span, 2);
            await created.SealAsync();
        }

        using (var restored = await client.GetAsync(first, Long))
        {
            Assert.Equal(-1, Patterns.FirstMismatch(restored.Span, 1));
        }

        using (var other = await client.GetAsync(second, Long))
        {
            Assert.Equal(-1, Patterns.FirstMismatch(other.Span, 2));
        }

        var stats = await client.GetStatsAsync();
        Assert.True(stats.SpillCount >= 2, stats.ToString());
        Assert.True(stats.RestoreCount >= 1, stats.ToString());
        Assert.True(stats.IsConsistent, stats.ToString());
    }

    [Fact]
    public async Task Residency_answers_spilled_in_memory_and_absent_per_object()
    {
        const int Capacity = 4 << 20;
        const int Size = 3 << 19; // 1.5 MiB: two fit, the third spills the least recently used
        await using var store = await StartStoreAsync(Capacity);
        await using var client = await store.ConnectAsync();
        StoreObjectId first = StoreObjectId.NewId(), second = StoreObjectId.NewId(), third = StoreObjectId.NewId();
        StoreObjectId unknown = StoreObjectId.NewId(), unsealed = StoreObjectId.NewId(), deleted = StoreObjectId.NewId();
        await client.PutAsync(deleted, new byte[64]);
        Assert.True(await client.DeleteAsync(deleted));
        var ids = new[] { first, second, third };
        for (var i = 0; i < ids.Length; i++)
        {
            await client.PutAsync(ids[i], Patterns.Create(Size, (ulong)i));
        }

        await using var writing = await client.CreateAsync(unsealed, 64);
        var places = await client.GetResidencyAsync([first, second, third, unknown, unsealed, deleted]);
        Assert.Equal([ObjectResidency.Spilled, ObjectResidency.InMemory, ObjectResidency.InMemory, ObjectResidency.Absent, ObjectResidency.Absent, ObjectResidency.Absent], places);
        var stats = await client.GetStatsAsync();
        Assert.Equal(1, stats.SpilledCount);

        // Reading the spilled one restores it (spilling the least recently used of the others to make room).
        using (var restored = await client.GetAsync(first, Long))
        {
            Assert.Equal(-1, Patterns.FirstMismatch(restored.Span, 0));
        }

        places = await client.GetResidencyAsync(ids);
        Assert.Equal([ObjectResidency.InMemory, ObjectResidency.Spilled, ObjectResidency.InMemory], places);

        // A batch is 1..1024 ids.
        await Assert.ThrowsAsync<ArgumentException>(async () => await client.GetResidencyAsync([]));
        await Assert.ThrowsAsync<ArgumentException>(async () => await client.GetResidencyAsync(Enumerable.Range(0, 1025).Select(_ => StoreObjectId.NewId()).ToArray()));
        Assert.Equal(1024, (await client.GetResidencyAsync(Enumerable.Range(0, 1024).Select(_ => StoreObjectId.NewId()).ToArray())).Count(p => p == ObjectResidency.Absent));
    }

    [Fact]
    public async Task Ten_times_the_store_size_completes_by_spilling_and_reads_back_byte_exact()
    {
        const int Capacity = 16 << 20;
        const int Size = (1 << 20) + 13; // not a multiple of the alignment
        const int Count = (Capacity / Size * 10) + 10;
        await using var store = await StartStoreAsync(Capacity);
        await using var client = await store.ConnectAsync();
        var ids = Enumerable.Range(0, Count).Select(_ => StoreObjectId.NewId()).ToArray();
        for (var i = 0; i < Count; i++)
        {
            await using var created = await client.CreateAsync(ids[i], Size);
            Patterns.Fill(created.Span, (ulong)i);
            await created.SealAsync();
        }

        for (var i = 0; i < Count; i++)
        {
            using var buffer = await client.GetAsync(ids[i], Long);
            Assert.Equal(-1, Patterns.FirstMismatch(buffer.Span, (ulong)i));
        }

        var stats = await client.GetStatsAsync();
        Assert.Equal(Count, stats.ObjectCount);
        Assert.True(stats.SpillCount >= Count - (Capacity / Size), stats.ToString());
        Assert.True(stats.IsConsistent, stats.ToString());

        Assert.Equal(Count, await client.DeleteAsync(ids));
        stats = await client.GetStatsAsync();
        Assert.Equal(0, stats.ObjectCount);
        Assert.Equal(0, stats.UsedBytes);
        Assert.Equal(1, stats.FreeBlockCount);
    }

    [Fact]
    public async Task Stats_count_primary_copies_apart_from_evictable_secondary_ones_until_they_are_deleted()
    {
        await using var store = await StartStoreAsync(8 << 20);
        await using var client = await store.ConnectAsync();
        var primaries = new[] { StoreObjectId.NewId(), StoreObjectId.NewId() };
        foreach (var id in primaries)
        {
            await client.PutAsync(id, Patterns.Create(1000, 7));
        }

        var secondary = StoreObjectId.NewId();
        await using (var created = await client.CreateAsync(secondary, 1000, primary: false))
        {
            Patterns.Fill(created.Span, 8);
            await created.SealAsync();
        }

        var stats = await client.GetStatsAsync();
        Assert.Equal((3, 2), (stats.ObjectCount, stats.PrimaryCount));

        Assert.True(await client.DeleteAsync(primaries[0]));
        Assert.True(await client.DeleteAsync(secondary));
        stats = await client.GetStatsAsync();
        Assert.Equal((1, 1), (stats.ObjectCount, stats.PrimaryCount));
        Assert.True(await client.DeleteAsync(primaries[1]));
        Assert.Equal(0, (await client.GetStatsAsync()).PrimaryCount);
    }

    [Fact]
    public async Task An_object_too_large_for_the_store_fails_at_once_with_a_clear_error()
    {
        await using var store = await StartStoreAsync(1 << 20);
        await using var client = await store.ConnectAsync();
        var error = await Assert.ThrowsAsync<ObjectStoreFullException>(async () => await client.CreateAsync(StoreObjectId.NewId(), 2 << 20));
        Assert.Contains("--object-store-memory BYTES", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_of_a_pinned_object_waits_for_the_reader()
    {
        await using var store = await StartStoreAsync(1 << 20);
        await using var client = await store.ConnectAsync();
        var id = StoreObjectId.NewId();
        await client.PutAsync(id, Patterns.Create(5000, 5));
        var buffer = await client.GetAsync(id, Long);

        Assert.True(await client.DeleteAsync(id));
        Assert.False(await client.ContainsAsync(id));
        Assert.Equal(-1, Patterns.FirstMismatch(buffer.Span, 5));
        Assert.True((await client.GetStatsAsync()).UsedBytes > 0);

        buffer.Dispose();
        var stats = await client.GetStatsAsync();
        Assert.Equal(0, stats.UsedBytes);
        Assert.True(stats.IsConsistent, stats.ToString());
    }

    [Fact]
    public async Task A_client_that_goes_away_releases_its_pins_and_unsealed_objects()
    {
        await using var store = await StartStoreAsync(4 << 20);
        await using var observer = await store.ConnectAsync();
        var id = StoreObjectId.NewId();
        await observer.PutAsync(id, new byte[1000]);

        var leaving = await store.ConnectAsync();
        _ = await leaving.GetAsync(id, Long); // never disposed
        _ = await leaving.CreateAsync(StoreObjectId.NewId(), 2000); // never sealed
        Assert.Equal(1, (await observer.GetStatsAsync()).TotalPins);
        await leaving.DisposeAsync();

        await Waiting.UntilAsync(
            async () => await observer.GetStatsAsync() is { TotalPins: 0, UnsealedCount: 0 },
            Long,
            "the departed client's pins and unsealed object to be released");
        var stats = await observer.GetStatsAsync();
        Assert.Equal(1, stats.ObjectCount);
        Assert.Equal(Arena.ArenaAllocator.AlignedSize(1000), stats.UsedBytes);
        Assert.True(stats.IsConsistent, stats.ToString());
    }

    [Fact]
    public async Task An_object_pulled_from_a_peer_process_is_byte_exact_and_concurrent_pulls_share_one_transfer()
    {
        const int Size = (24 << 20) + 5;
        await using var peer = await TestStore.StartProcessAsync(64 << 20);
        await using var store = await StartStoreAsync(64 << 20);
        await using var peerClient = await peer.ConnectAsync();
        await using var client = await store.ConnectAsync();
        var ids = new[] { StoreObjectId.NewId(), StoreObjectId.NewId() };
        for (var i = 0; i < ids.Length; i++)
        {
            await using var created = await peerClient.CreateAsync(ids[i], Size);
            Patterns.Fill(created.Span, 100 + (ulong)i);
            await created.SealAsync();
        }

        // Three requests for the first object and one for the second, all at once.
        await Task.WhenAll(
            client.PullAsync(ids[0], peer.TransferEndPoint).AsTask(),
            client.PullAsync(ids[0], peer.TransferEndPoint).AsTask(),
            client.PullAsync(ids[1], peer.TransferEndPoint).AsTask(),
            client.PullAsync(ids[0], peer.TransferEndPoint).AsTask());

        for (var i = 0; i < ids.Length; i++)
        {
            using var buffer = await client.GetAsync(ids[i], TimeSpan.Zero);
            Assert.Equal(-1, Patterns.FirstMismatch(buffer.Span, 100 + (ulong)i));
        }

        var peerStats = await peerClient.GetStatsAsync();
        Assert.Equal(2L * Size, peerStats.TransferBytesSent);
        var stats = await client.GetStatsAsync();
        Assert.Equal(2, stats.PullCount);
        Assert.True(stats.IsConsistent, stats.ToString());
    }

    [Fact]
    public async Task Pulled_copies_are_evicted_before_primary_copies_are_spilled()
    {
        const int Size = 3 << 20;
        await using var peer = await TestStore.StartEmbeddedAsync(8 << 20);
        await using var store = await StartStoreAsync(8 << 20);
        await using var peerClient = await peer.ConnectAsync();
        await using var client = await store.ConnectAsync();
        var pulled = StoreObjectId.NewId();
        await peerClient.PutAsync(pulled, Patterns.Create(Size, 9));
        await client.PullAsync(pulled, peer.TransferEndPoint);
        var primary = StoreObjectId.NewId();
        await client.PutAsync(primary, Patterns.Create(Size, 10));

        await client.PutAsync(StoreObjectId.NewId(), Patterns.Create(Size, 11)); // needs room: the pulled copy goes
        var stats = await client.GetStatsAsync();
        Assert.Equal(1, stats.EvictionCount);
        Assert.Equal(0, stats.SpillCount);
        Assert.False(await client.ContainsAsync(pulled));
        Assert.True(await client.ContainsAsync(primary));
    }

    [Fact]
    public async Task A_peer_killed_mid_transfer_gives_a_clear_error_and_another_copy_serves_the_retry()
    {
        const int Size = 32 << 20;
        var id = StoreObjectId.NewId();
        var data = Patterns.Create(Size, 77);

        // The dying peer sends at 16 MiB/s, so the kill surely lands mid-transfer.
        await using var dying = await TestStore.StartProcessAsync(64 << 20, o => o.TransferRateLimit = 16 << 20);
        await using var healthy = await TestStore.StartEmbeddedAsync(64 << 20);
        await using var store = await StartStoreAsync(64 << 20);
        await using (var dyingClient = await dying.ConnectAsync())
        {
            await dyingClient.PutAsync(id, data);
        }

        await using (var healthyClient = await healthy.ConnectAsync())
        {
            await healthyClient.PutAsync(id, data);
        }

        await using var client = await store.ConnectAsync();
        var pull = client.PullAsync(id, dying.TransferEndPoint).AsTask();
        await Waiting.UntilAsync(async () => (await client.GetStatsAsync()).PullBytesReceived > 0, Long, "the first bytes of the pull");
        dying.Process!.Kill();

        var error = await Assert.ThrowsAsync<ObjectTransferException>(() => pull.WaitAsync(Long));
        Assert.Contains(dying.TransferEndPoint.ToString(), error.Message, StringComparison.Ordinal);
        Assert.Contains("Retry from another copy", error.Message, StringComparison.Ordinal);
        Assert.False(await client.ContainsAsync(id));
        var afterFailure = await client.GetStatsAsync();
        Assert.True(afterFailure.PullBytesReceived < Size, afterFailure.ToString());
        Assert.Equal(0, afterFailure.UnsealedCount);
        Assert.Equal(0, afterFailure.UsedBytes);
        Assert.True(afterFailure.IsConsistent, afterFailure.ToString());

        await client.PullAsync(id, healthy.TransferEndPoint);
        using var buffer = await client.GetAsync(id, TimeSpan.Zero);
        Assert.True(buffer.Span.SequenceEqual(data));
    }

    [Fact]
    public async Task A_pull_that_finds_no_room_fails_as_a_full_store_not_as_a_transfer_that_lost_the_object()
    {
        // A reviewer held buffers that pinned most of a node's store and asked for another object held elsewhere: the
        // pull's time ran out waiting for room, was reported as a failed transfer, and the reader rebuilt a healthy object.
        const int Size = 3 << 20;
        await using var peer = await TestStore.StartEmbeddedAsync(8 << 20);
        await using var store = await StartStoreAsync(4 << 20);
        await using var peerClient = await peer.ConnectAsync();
        await using var client = await store.ConnectAsync();
        var held = StoreObjectId.NewId();
        await client.PutAsync(held, Patterns.Create(Size, 1));
        using var pinned = await client.GetAsync(held, Long);
        var wanted = StoreObjectId.NewId();
        await peerClient.PutAsync(wanted, Patterns.Create(Size, 2));

        var full = await Assert.ThrowsAsync<ObjectStoreFullException>(async () =>
            await client.PullAsync(wanted, peer.TransferEndPoint, TimeSpan.FromSeconds(2)));
        Assert.Contains("--object-store-memory BYTES", full.Message, StringComparison.Ordinal);
        Assert.False(await client.ContainsAsync(wanted));
        Assert.True(await peerClient.ContainsAsync(wanted));
    }

    [Fact]
    public async Task Pulling_an_object_the_peer_does_not_have_fails_with_a_transfer_error()
    {
        await using var peer = await TestStore.StartEmbeddedAsync(1 << 20);
        await using var store = await StartStoreAsync(1 << 20);
        await using var client = await store.ConnectAsync();
        var error = await Assert.ThrowsAsync<ObjectTransferException>(async () =>
            // The peer waits half of the timeout for a seal, then answers. 8 s, not 2: with 2 the answer had 1 s left to
            // arrive, and on a loaded CI machine (builds running beside the tests) the pull timed out first.
            await client.PullAsync(StoreObjectId.NewId(), peer.TransferEndPoint, TimeSpan.FromSeconds(8)));
        Assert.Contains("does not have", error.Message, StringComparison.Ordinal);
    }
}
