using System.Net.Sockets;
using OrleansRay.ObjectStore.Client;
using OrleansRay.ObjectStore.Hosting;
using OrleansRay.ObjectStore.Protocol;
using Xunit;

namespace OrleansRay.ObjectStore.Tests;

/// <summary>The socket protocol's fast paths (docs/adr/0020-store-fast-path.md): pipelined calls on one connection,
/// read leases in shared memory, write-behind puts — and what they must never break.</summary>
public sealed class FastPathTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Hundreds_of_concurrent_calls_on_one_connection_each_get_their_own_answer()
    {
        await using var store = await StartAsync(16 << 20);
        await using var writer = await ConnectAsync(store);
        var ids = Enumerable.Range(0, 64).Select(_ => StoreObjectId.NewId()).ToArray();
        for (var i = 0; i < ids.Length; i++)
        {
            await writer.PutAsync(ids[i], Patterns.Create(100 + i, (ulong)i));
        }

        await using var reader = await ConnectAsync(store);
        var absent = StoreObjectId.NewId();
        var calls = Enumerable.Range(0, 1200).Select(async n =>
        {
            var i = n % ids.Length;
            switch (n % 3)
            {
                case 0:
                    using (var buffer = await reader.GetAsync(ids[i], Long))
                    {
                        Assert.Equal(100 + i, buffer.Length);
                        Assert.Equal(-1, Patterns.FirstMismatch(buffer.Span, (ulong)i));
                    }

                    break;
                case 1:
                    Assert.True(await reader.ContainsAsync(ids[i]));
                    Assert.False(await reader.ContainsAsync(absent));
                    break;
                default:
                    var residency = await reader.GetResidencyAsync([ids[i], absent]);
                    Assert.Equal([ObjectResidency.InMemory, ObjectResidency.Absent], residency);
                    break;
            }
        }).ToArray();
        await Task.WhenAll(calls);

        Assert.Equal(0, Socket(reader).PendingCount);
        await Waiting.UntilAsync(async () => await reader.GetStatsAsync() is { TotalPins: 0 }, Long, "every reader to be released");
        Assert.True((await reader.GetStatsAsync()).IsConsistent);
    }

    [Fact]
    public async Task A_failing_or_cancelled_call_does_not_disturb_the_others_in_flight()
    {
        await using var store = await StartAsync(16 << 20);
        await using var client = await ConnectAsync(store);
        var existing = StoreObjectId.NewId();
        await client.PutAsync(existing, Patterns.Create(10, 1));
        using var cancel = new CancellationTokenSource();
        var waiting = client.GetAsync(StoreObjectId.NewId(), Timeout.InfiniteTimeSpan, cancel.Token).AsTask();

        var fresh = Enumerable.Range(0, 100).Select(_ => StoreObjectId.NewId()).ToArray();
        var puts = fresh.Select((id, i) => client.PutAsync(id, Patterns.Create(50, (ulong)i)).AsTask()).ToArray();
        var duplicates = Enumerable.Range(0, 100).Select(_ => client.PutAsync(existing, new byte[10]).AsTask()).ToArray();
        var timeouts = Enumerable.Range(0, 50).Select(_ => client.GetAsync(StoreObjectId.NewId(), TimeSpan.Zero).AsTask()).ToArray();
        await cancel.CancelAsync();

        await Task.WhenAll(puts);
        foreach (var duplicate in duplicates)
        {
            await Assert.ThrowsAsync<ObjectAlreadyExistsException>(() => duplicate);
        }

        foreach (var timeout in timeouts)
        {
            await Assert.ThrowsAsync<TimeoutException>(() => timeout);
        }

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        for (var i = 0; i < fresh.Length; i++)
        {
            using var buffer = await client.GetAsync(fresh[i], Long);
            Assert.Equal(-1, Patterns.FirstMismatch(buffer.Span, (ulong)i));
        }

        Assert.Equal(0, Socket(client).PendingCount);
    }

    [Fact]
    public async Task A_second_get_reads_the_arena_through_its_lease_without_a_frame_to_the_store()
    {
        await using var store = await StartAsync(16 << 20);
        await using var client = await ConnectAsync(store);
        var id = StoreObjectId.NewId();
        await client.PutAsync(id, Patterns.Create(64, 7));
        using (var first = await client.GetAsync(id, Long))
        {
            Assert.Equal(-1, Patterns.FirstMismatch(first.Span, 7));
        }

        var sent = Socket(client).FramesSent;
        for (var i = 0; i < 100; i++)
        {
            using var again = await client.GetAsync(id, Long);
            Assert.Equal(-1, Patterns.FirstMismatch(again.Span, 7));
            Assert.Equal(1, (await Stats(store)).TotalPins); // a live reader counts as a pin
        }

        Assert.Equal(sent, Socket(client).FramesSent);
        Assert.Equal(0, (await Stats(store)).TotalPins); // an idle lease is not a reader
        Assert.Equal(1, store.Core.LeaseCount);
    }

    [Fact]
    public async Task Delete_while_a_lease_reader_holds_the_object_keeps_its_bytes_until_the_reader_goes()
    {
        await using var store = await StartAsync(1 << 20);
        await using var reader = await ConnectAsync(store);
        await using var deleter = await ConnectAsync(store);
        var id = StoreObjectId.NewId();
        await deleter.PutAsync(id, Patterns.Create(4000, 3));
        (await reader.GetAsync(id, Long)).Dispose();
        var held = await reader.GetAsync(id, Long); // through the lease
        var sentBefore = Socket(reader).FramesSent;

        Assert.True(await deleter.DeleteAsync(id));

        // Revoked: the next get asks the store (which no longer has it); the held reader's bytes stay, its block unused.
        await Assert.ThrowsAsync<TimeoutException>(async () => await reader.GetAsync(id, TimeSpan.Zero));
        Assert.True(Socket(reader).FramesSent > sentBefore);
        var others = new List<StoreObjectId>();
        for (var i = 0; i < 100; i++)
        {
            var other = StoreObjectId.NewId();
            others.Add(other);
            await deleter.PutAsync(other, Patterns.Create(4000, 100 + (ulong)i));
        }

        Assert.Equal(-1, Patterns.FirstMismatch(held.Span, 3));
        Assert.True((await Stats(store)).IsConsistent);

        held.Dispose(); // the last reader of a revoked lease returns it: the block is freed
        await Waiting.UntilAsync(
            async () => await Stats(store) is { TotalPins: 0, UsedBytes: var used } && used == 100 * Arena.ArenaAllocator.AlignedSize(4000),
            Long,
            "the deleted object's block to be freed once its reader went");
        Assert.Equal(0, store.Core.LeaseCount);
        Assert.True((await Stats(store)).IsConsistent);
    }

    [Fact]
    public async Task Memory_pressure_revokes_idle_leases_but_never_one_with_a_reader()
    {
        const int Size = 1 << 20;
        await using var store = await StartAsync(4 << 20);
        await using var client = await ConnectAsync(store);
        var idle = StoreObjectId.NewId();
        var held = StoreObjectId.NewId();
        await client.PutAsync(idle, Patterns.Create(Size, 1));
        await client.PutAsync(held, Patterns.Create(Size, 2));
        (await client.GetAsync(idle, Long)).Dispose(); // an idle lease
        using var reader = await client.GetAsync(held, Long); // a lease with a live reader

        for (var i = 0; i < 6; i++)
        {
            await client.PutAsync(StoreObjectId.NewId(), Patterns.Create(Size, 10 + (ulong)i));
        }

        // The idle lease did not keep its object in memory; the one being read stayed, byte-exact.
        Assert.Equal([ObjectResidency.Spilled, ObjectResidency.InMemory], await client.GetResidencyAsync([idle, held]));
        Assert.Equal(-1, Patterns.FirstMismatch(reader.Span, 2));
        using (var restored = await client.GetAsync(idle, Long))
        {
            Assert.Equal(-1, Patterns.FirstMismatch(restored.Span, 1));
        }

        Assert.True((await Stats(store)).IsConsistent);
    }

    [Fact]
    public async Task Memory_pressure_leaves_a_lease_being_read_valid_for_further_reads_without_a_round_trip()
    {
        const int Size = 1 << 20;
        await using var store = await StartAsync(4 << 20);
        await using var client = await ConnectAsync(store);
        var held = StoreObjectId.NewId();
        await client.PutAsync(held, Patterns.Create(Size, 2));
        using var reader = await client.GetAsync(held, Long); // the oldest object, read through its lease right now

        for (var i = 0; i < 8; i++)
        {
            await client.PutAsync(StoreObjectId.NewId(), Patterns.Create(Size, 10 + (ulong)i)); // each eviction scan passes it
        }

        // Only idle leases are revoked: the busy one still serves another reader from shared memory.
        var sent = Socket(client).FramesSent;
        using (var again = await client.GetAsync(held, Long))
        {
            Assert.Equal(-1, Patterns.FirstMismatch(again.Span, 2));
        }

        Assert.Equal(sent, Socket(client).FramesSent);
        Assert.Equal(-1, Patterns.FirstMismatch(reader.Span, 2));
        Assert.True((await Stats(store)).IsConsistent);
    }

    [Fact]
    public async Task A_client_that_dies_holding_lease_readers_and_reserved_blocks_leaks_nothing()
    {
        await using var store = await StartAsync(8 << 20);
        await using var observer = await ConnectAsync(store);
        var ids = Enumerable.Range(0, 20).Select(_ => StoreObjectId.NewId()).ToArray();
        foreach (var id in ids)
        {
            await observer.PutAsync(id, Patterns.Create(1000, 5));
        }

        var baseline = await Stats(store);
        var dying = await ConnectAsync(store, writeBehind: true);
        var readers = new List<ObjectBuffer<byte>>();
        foreach (var id in ids)
        {
            (await dying.GetAsync(id, Long)).Dispose();
            readers.Add(await dying.GetAsync(id, Long)); // lease readers never disposed
        }

        await dying.PutAsync(StoreObjectId.NewId(), new byte[100]); // reserves blocks; most stay unused
        await dying.FlushAsync();
        Assert.True((await Stats(store)).UsedBytes > baseline.UsedBytes + 1000);
        Assert.Equal(20, store.Core.LeaseCount);

        Socket(dying).Abort(); // as if the process were killed: no release, no flush, no goodbye
        await Waiting.UntilAsync(async () => await Stats(store) is { SessionCount: 1 }, Long, "the store to notice the dead client");

        var after = await Stats(store);
        Assert.Equal(0, after.TotalPins);
        Assert.Equal(0, store.Core.LeaseCount);
        Assert.Equal(baseline.UsedBytes + Arena.ArenaAllocator.AlignedSize(100), after.UsedBytes); // its one sealed put stays
        Assert.True(after.IsConsistent, after.ToString());
        Assert.True(await observer.DeleteAsync(ids[0]));
        await Waiting.UntilAsync(async () => (await Stats(store)).ObjectCount == 20, Long, "the delete to free at once");
        GC.KeepAlive(readers);
    }

    [Fact]
    public async Task Write_behind_puts_are_seen_by_the_next_call_and_by_other_clients_byte_exact()
    {
        await using var store = await StartAsync(16 << 20);
        await using var putter = await ConnectAsync(store, writeBehind: true);
        await using var other = await ConnectAsync(store);
        var ids = Enumerable.Range(0, 2000).Select(_ => StoreObjectId.NewId()).ToArray();
        var sent = Socket(putter).FramesSent;
        for (var i = 0; i < ids.Length; i++)
        {
            await putter.PutAsync(ids[i], Patterns.Create(1 + (i % 300), (ulong)i));
        }

        // Far fewer frames than puts: reservations and batched seals.
        Assert.True(Socket(putter).FramesSent - sent < ids.Length / 4, $"{Socket(putter).FramesSent - sent} frames for {ids.Length} puts");
        Assert.All(await putter.GetResidencyAsync(ids[..1000]), r => Assert.Equal(ObjectResidency.InMemory, r));
        for (var i = 0; i < ids.Length; i += 7)
        {
            using var buffer = await other.GetAsync(ids[i], Long);
            Assert.Equal(1 + (i % 300), buffer.Length);
            Assert.Equal(-1, Patterns.FirstMismatch(buffer.Span, (ulong)i));
        }

        await putter.FlushAsync();
        var stats = await Stats(store);
        Assert.Equal(ids.Length, stats.ObjectCount);
        Assert.True(stats.IsConsistent, stats.ToString());
    }

    [Fact]
    public async Task A_write_behind_put_of_an_existing_id_is_refused_and_reported_by_flush()
    {
        await using var store = await StartAsync(4 << 20);
        await using var client = await ConnectAsync(store, writeBehind: true);
        var id = StoreObjectId.NewId();
        await client.PutAsync(id, Patterns.Create(64, 1));
        await client.PutAsync(id, Patterns.Create(64, 2)); // returns: the store refuses it when the seal arrives

        var error = await Assert.ThrowsAsync<ObjectAlreadyExistsException>(async () => await client.FlushAsync());
        Assert.Contains(id.ToString(), error.Message, StringComparison.Ordinal);
        await client.FlushAsync(); // reported once

        using var buffer = await client.GetAsync(id, Long);
        Assert.Equal(-1, Patterns.FirstMismatch(buffer.Span, 1)); // the first put's bytes, untouched
        var next = StoreObjectId.NewId();
        await client.PutAsync(next, Patterns.Create(64, 3));
        await client.FlushAsync();
        Assert.True(await client.ContainsAsync(next));
        Assert.True((await Stats(store)).IsConsistent);
    }

    [Fact]
    public async Task Bad_lease_and_reservation_frames_get_clear_errors_and_leave_the_store_consistent()
    {
        await using var store = await StartAsync(4 << 20);
        await using var client = await ConnectAsync(store);
        var id = StoreObjectId.NewId();
        await client.PutAsync(id, Patterns.Create(64, 1));
        (await client.GetAsync(id, Long)).Dispose();

        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(store.SocketPath!));
        var receiver = new FrameReceiver(socket, ProtocolLimits.MaxReplyPayload);
        Assert.Equal(ReplyStatus.Ok, (await CallAsync(socket, receiver, new FrameWriter((byte)Opcode.Hello, 1).WriteUInt32(ProtocolLimits.Version))).Status);

        var (status, message) = await CallAsync(socket, receiver, new FrameWriter((byte)Opcode.LeaseDone, 2).WriteInt32(5).WriteInt64(1));
        Assert.Equal(ReplyStatus.InvalidState, status);
        Assert.Contains("not held", message, StringComparison.Ordinal);

        (status, message) = await CallAsync(socket, receiver, new FrameWriter((byte)Opcode.Reserve, 3).WriteUInt32(100).WriteUInt16(4));
        Assert.Equal(ReplyStatus.BadRequest, status);
        Assert.Contains("multiple of 64", message, StringComparison.Ordinal);

        // A seal of a block this connection never reserved, over another client's object: refused, nothing changes.
        var batch = new FrameWriter((byte)Opcode.SealBatch, 0).WriteUInt16(1).WriteId(StoreObjectId.NewId()).WriteByte(1).WriteInt64(0).WriteUInt32(64);
        (status, message) = await ReceiveAfterAsync(socket, receiver, batch);
        Assert.Equal(ReplyStatus.InvalidState, status);
        Assert.Contains("not a block this client reserved", message, StringComparison.Ordinal);

        var truncated = new FrameWriter((byte)Opcode.SealBatch, 0).WriteUInt16(3).WriteId(id);
        (status, message) = await ReceiveAfterAsync(socket, receiver, truncated);
        Assert.Equal(ReplyStatus.BadRequest, status);
        Assert.Contains("SealBatch", message, StringComparison.Ordinal);

        using var buffer = await client.GetAsync(id, Long);
        Assert.Equal(-1, Patterns.FirstMismatch(buffer.Span, 1));
        var stats = await Stats(store);
        Assert.Equal(1, stats.ObjectCount);
        Assert.True(stats.IsConsistent, stats.ToString());
    }

    [Fact]
    public async Task Leases_work_across_processes_and_a_delete_in_the_store_process_revokes_them()
    {
        await using var store = await TestStore.StartProcessAsync(4 << 20);
        await using var reader = await store.ConnectAsync();
        await using var deleter = await store.ConnectAsync();
        var id = StoreObjectId.NewId();
        await deleter.PutAsync(id, Patterns.Create(500, 9));
        (await reader.GetAsync(id, Long)).Dispose();
        var sent = Socket(reader).FramesSent;
        using (var again = await reader.GetAsync(id, Long))
        {
            Assert.Equal(-1, Patterns.FirstMismatch(again.Span, 9));
        }

        Assert.Equal(sent, Socket(reader).FramesSent);
        Assert.True(await deleter.DeleteAsync(id));
        await Assert.ThrowsAsync<TimeoutException>(async () => await reader.GetAsync(id, TimeSpan.Zero));
        await Waiting.UntilAsync(async () => await deleter.GetStatsAsync() is { UsedBytes: 0, ObjectCount: 0 }, Long, "the deleted object's block to be freed");
    }

    [Fact]
    public async Task A_lease_of_a_killed_store_reads_nothing_once_the_connection_is_seen_broken()
    {
        await using var store = await TestStore.StartProcessAsync(4 << 20);
        await using var client = await store.ConnectAsync();
        var id = StoreObjectId.NewId();
        await client.PutAsync(id, Patterns.Create(500, 4));
        (await client.GetAsync(id, Long)).Dispose(); // leased

        store.Process!.Kill();
        await store.Process.WaitForExitAsync();
        await Waiting.UntilAsync(() => Task.FromResult(Socket(client).IsBroken), Long, "the client to see its store's connection close");

        // The runtime treats a dead store's objects as lost: the lease must not serve them from this process's mapping.
        await Assert.ThrowsAsync<ObjectStoreException>(async () => await client.GetAsync(id, TimeSpan.Zero));
        Assert.Equal(0, Socket(client).LeasedCount);
    }

    [Fact]
    public async Task Disposing_a_client_whose_connection_broke_with_seals_queued_closes_it_and_unmaps_everything()
    {
        await using var store = await StartAsync(4 << 20);
        var client = await ConnectAsync(store, writeBehind: true);
        await client.PutAsync(StoreObjectId.NewId(), Patterns.Create(64, 1)); // reserves blocks
        await client.FlushAsync();
        var leased = StoreObjectId.NewId();
        await client.PutAsync(leased, Patterns.Create(5000, 7)); // above the write-behind size: acknowledged
        (await client.GetAsync(leased, Long)).Dispose(); // a lease: the lease table is mapped too
        Assert.Equal(1, Socket(client).LeasedCount);

        Socket(client).HoldScheduledFlush(); // the seal below stays queued, as when the thread pool has not run the flush yet
        await client.PutAsync(StoreObjectId.NewId(), Patterns.Create(64, 2));
        Socket(client).Abort();
        await Waiting.UntilAsync(() => Task.FromResult(Socket(client).IsBroken), Long, "the client to see its connection break");

        await client.DisposeAsync(); // no throw: the queued seals went with the connection
        Assert.Equal(0, client.References); // the arena and the lease table are unmapped
        Assert.Equal(0, Socket(client).PendingCount);
    }

    [Fact]
    public async Task A_write_behind_put_after_the_connection_broke_throws_instead_of_reporting_success()
    {
        await using var store = await StartAsync(4 << 20);
        await using var client = await ConnectAsync(store, writeBehind: true);
        await client.PutAsync(StoreObjectId.NewId(), Patterns.Create(64, 1)); // reserves more blocks of this size than it uses
        await client.FlushAsync();

        Socket(client).Abort();
        await Waiting.UntilAsync(() => Task.FromResult(Socket(client).IsBroken), Long, "the client to see its connection break");

        // The store freed the reserved blocks with the session: a put into one would be lost without a word.
        await Assert.ThrowsAsync<ObjectStoreException>(async () => await client.PutAsync(StoreObjectId.NewId(), Patterns.Create(64, 2)));
        await Assert.ThrowsAsync<ObjectStoreException>(async () => await client.FlushAsync());
        Assert.False(Socket(client).TryTakeReserved(64, out _));
    }

    [Fact]
    public async Task A_get_cancelled_before_or_while_waiting_leaks_no_pin_or_lease()
    {
        await using var store = await StartAsync(4 << 20);
        await using var client = await ConnectAsync(store);
        await using var other = await ConnectAsync(store);
        var present = StoreObjectId.NewId();
        await other.PutAsync(present, Patterns.Create(500, 1));
        var sent = Socket(client).FramesSent;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await client.GetAsync(present, Long, new CancellationToken(canceled: true)));
        Assert.Equal(sent, Socket(client).FramesSent); // not sent: the store granted nothing

        using var cancel = new CancellationTokenSource();
        var late = StoreObjectId.NewId();
        var waiting = client.GetAsync(late, Long, cancel.Token).AsTask();
        await Waiting.UntilAsync(() => Task.FromResult(Socket(client).FramesSent > sent), Long, "the get to be sent");
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        await other.PutAsync(late, Patterns.Create(500, 2)); // the store grants the waiting get, whose caller has gone

        // The grant is given back: deleting both objects frees them, and the id can be created again.
        Assert.True(await other.DeleteAsync(present));
        Assert.True(await other.DeleteAsync(late));
        await Waiting.UntilAsync(async () => await Stats(store) is { TotalPins: 0, ObjectCount: 0, UsedBytes: 0 }, Long, "the cancelled get's grant to be given back");
        await other.PutAsync(late, Patterns.Create(500, 3));
        using var buffer = await client.GetAsync(late, Long);
        Assert.Equal(-1, Patterns.FirstMismatch(buffer.Span, 3));
        Assert.True((await Stats(store)).IsConsistent);
    }

    [Fact]
    public void A_lease_racing_its_revocation_is_finalized_exactly_once_and_never_read_after()
    {
        const long Generation = 41;
        var word = new long[1];
        for (var round = 0; round < 20_000; round++)
        {
            word[0] = LeaseWord.Granted(Generation); // one reader: the granting get's buffer
            var finalized = 0;
            var readAfterFinal = 0;
            var client = new Thread(() =>
            {
                for (var i = 0; i < 8; i++)
                {
                    if (LeaseWord.TryAcquire(ref word[0], Generation))
                    {
                        if ((Volatile.Read(ref word[0]) & LeaseWord.Dead) != 0)
                        {
                            Interlocked.Increment(ref readAfterFinal);
                        }

                        if (LeaseWord.Release(ref word[0]))
                        {
                            Interlocked.Increment(ref finalized);
                        }
                    }
                }

                if (LeaseWord.Release(ref word[0]))
                {
                    Interlocked.Increment(ref finalized);
                }
            });
            client.Start();
            if (LeaseWord.Revoke(ref word[0], Generation))
            {
                Interlocked.Increment(ref finalized);
            }

            client.Join();
            Assert.Equal(1, finalized);
            Assert.Equal(0, readAfterFinal);
            Assert.NotEqual(0, word[0] & LeaseWord.Dead);
            Assert.Equal(0, LeaseWord.Readers(word[0]));
            Assert.False(LeaseWord.TryAcquire(ref word[0], Generation));
        }
    }

    private static Task<EmbeddedObjectStore> StartAsync(long capacity) =>
        EmbeddedObjectStore.StartAsync(TestStore.Options(capacity, o =>
        {
            o.SocketPath = Path.Combine(Path.GetTempPath(), $"orleansray-fastpath-{Guid.NewGuid():N}.sock");
            o.TransferPort = null;
        }));

    private static Task<ObjectStoreClient> ConnectAsync(EmbeddedObjectStore store, bool writeBehind = false) =>
        ObjectStoreClient.ConnectAsync(store.SocketPath!, new ObjectStoreClientOptions { WriteBehindPuts = writeBehind });

    private static Task<ObjectStoreStats> Stats(EmbeddedObjectStore store) => Task.FromResult(store.GetStats());

    private static SocketChannel Socket(ObjectStoreClient client) => (SocketChannel)client.Channel;

    private static async Task<(ReplyStatus Status, string Message)> CallAsync(Socket socket, FrameReceiver receiver, FrameWriter request) =>
        await ReceiveAfterAsync(socket, receiver, request);

    private static async Task<(ReplyStatus Status, string Message)> ReceiveAfterAsync(Socket socket, FrameReceiver receiver, FrameWriter request)
    {
        await socket.SendAsync(request.ToMemory(), SocketFlags.None);
        using var timeout = new CancellationTokenSource(Long);
        var payload = await receiver.ReceiveAsync(timeout.Token) ?? throw new InvalidOperationException("The store closed the connection.");
        return Parse(payload.ToArray());

        static (ReplyStatus, string) Parse(byte[] payload)
        {
            var reader = new FrameReader(payload);
            var status = (ReplyStatus)reader.ReadByte();
            reader.ReadUInt32();
            return (status, status == ReplyStatus.Ok ? "" : reader.ReadString());
        }
    }
}
