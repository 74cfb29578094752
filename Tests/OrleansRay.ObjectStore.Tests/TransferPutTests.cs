using OrleansRay.ObjectStore.Hosting;
using OrleansRay.ObjectStore.Security;
using OrleansRay.ObjectStore.Transfer;
using Xunit;

namespace OrleansRay.ObjectStore.Tests;

/// <summary>A process without a store of its own puts an object into a store over its transfer endpoint, in chunks
/// (<see cref="TransferPut"/>): sealed there as a primary copy, refused with the store's own exception when it cannot
/// hold it, and aborted, never left half-written, when the sender stops.</summary>
public sealed class TransferPutTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_put_over_TLS_larger_than_a_chunk_is_sealed_in_the_store_byte_exact()
    {
        using var credentials = ClusterCredentials.FromToken(ClusterCredentials.NewToken());
        await using var store = await StartAsync(32 << 20, credentials);
        var id = StoreObjectId.NewId();
        var data = Patterns.Create(TransferPut.ChunkSize + (3 << 20) + 5, 11); // two chunks, the last one short

        await TransferPut.PutAsync(id, store.TransferEndPoint!, data.Length, (chunk, offset) => data.AsSpan((int)offset, chunk.Length).CopyTo(chunk), credentials);

        await using var client = store.Connect();
        using (var stored = await client.GetAsync(id, TimeSpan.Zero))
        {
            Assert.True(stored.Span.SequenceEqual(data));
        }

        Assert.True((await ObjectTransfer.FetchAsync(id, store.TransferEndPoint!, Long, credentials)).AsSpan().SequenceEqual(data));
        Assert.Equal(ObjectResidency.InMemory, (await client.GetResidencyAsync([id]))[0]);
    }

    [Fact]
    public async Task An_object_larger_than_the_store_is_refused_with_ObjectStoreFullException_and_the_next_put_works()
    {
        await using var store = await StartAsync(8 << 20, credentials: null);
        var copied = 0L;

        var full = await Assert.ThrowsAsync<ObjectStoreFullException>(() => TransferPut.PutAsync(StoreObjectId.NewId(), store.TransferEndPoint!, 16 << 20, (chunk, _) => copied += chunk.Length, credentials: null));
        Assert.Contains("can never fit in the object store", full.Message, StringComparison.Ordinal);
        Assert.Equal(0, copied); // refused before a byte was sent

        var id = StoreObjectId.NewId();
        var data = Patterns.Create(4 << 20, 12);
        await TransferPut.PutAsync(id, store.TransferEndPoint!, data.Length, (chunk, offset) => data.AsSpan((int)offset, chunk.Length).CopyTo(chunk), credentials: null);
        Assert.True((await ObjectTransfer.FetchAsync(id, store.TransferEndPoint!, Long, credentials: null)).AsSpan().SequenceEqual(data));
    }

    [Fact]
    public async Task A_sender_that_stops_midway_leaves_no_object_and_frees_its_room()
    {
        await using var store = await StartAsync(24 << 20, credentials: null);
        var id = StoreObjectId.NewId();
        using var stop = new CancellationTokenSource();

        // The sender gives up after its first chunk of two.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => TransferPut.PutAsync(id, store.TransferEndPoint!, 2L * TransferPut.ChunkSize, (chunk, offset) =>
        {
            if (offset > 0)
            {
                stop.Cancel();
            }
        }, credentials: null, stop.Token));

        await using var client = store.Connect();
        await Waiting.UntilAsync(async () => !await client.ContainsAsync(id) && (await client.GetStatsAsync()).UsedBytes == 0, Long, "the half-written object to be aborted");

        // Its room is free: an object as large as the store's whole capacity fits.
        var whole = StoreObjectId.NewId();
        var data = Patterns.Create(24 << 20, 13);
        await TransferPut.PutAsync(whole, store.TransferEndPoint!, data.Length, (chunk, offset) => data.AsSpan((int)offset, chunk.Length).CopyTo(chunk), credentials: null);
        Assert.True(await client.ContainsAsync(whole));
    }

    [Fact]
    public async Task A_TLS_store_refuses_a_plain_put_as_a_plain_request_and_the_sender_hears_why()
    {
        using var credentials = ClusterCredentials.FromToken(ClusterCredentials.NewToken());
        var refusals = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var store = await StartAsync(8 << 20, credentials, refusals);
        var id = StoreObjectId.NewId();

        var refused = await Assert.ThrowsAsync<ObjectTransferException>(() => TransferPut.PutAsync(id, store.TransferEndPoint!, 1 << 20, (_, _) => { }, credentials: null));
        Assert.Contains("the store refused it: it requires TLS", refused.Message, StringComparison.Ordinal);
        await Waiting.UntilAsync(() => Task.FromResult(!refusals.IsEmpty), Long, "the refusal logged");
        Assert.Contains("it sent a plain request, without TLS", Assert.Single(refusals), StringComparison.Ordinal);
        await using var client = store.Connect();
        Assert.False(await client.ContainsAsync(id));
    }

    private static Task<EmbeddedObjectStore> StartAsync(long capacity, ClusterCredentials? credentials, System.Collections.Concurrent.ConcurrentQueue<string>? refusals = null) =>
        EmbeddedObjectStore.StartAsync(TestStore.Options(capacity, o =>
        {
            o.Credentials = credentials;
            o.PeerRefused = refusals is null ? null : refusals.Enqueue;
        }));
}
