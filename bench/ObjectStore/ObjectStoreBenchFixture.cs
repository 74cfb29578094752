using OrleansRay.ObjectStore;
using OrleansRay.ObjectStore.Hosting;

namespace OrleansRay.Bench.Objects;

/// <summary>One store for the local object benchmarks: embedded with a Unix socket, used by a socket client (the out-of-process path).</summary>
internal sealed class ObjectStoreBenchFixture : IAsyncDisposable
{
    private ObjectStoreBenchFixture(EmbeddedObjectStore store, ObjectStoreClient client, ObjectStoreClient writeBehind, byte[] source)
    {
        Store = store;
        Client = client;
        WriteBehindClient = writeBehind;
        Source = source;
    }

    public EmbeddedObjectStore Store { get; }

    public ObjectStoreClient Client { get; }

    /// <summary>A second socket client of the same store, with write-behind puts (docs/adr/0020-store-fast-path.md).</summary>
    public ObjectStoreClient WriteBehindClient { get; }

    /// <summary>The large payload: 1 GiB (64 MiB with --quick), filled with non-zero bytes.</summary>
    public byte[] Source { get; }

    public int LargeSize => Source.Length;

    public static async Task<ObjectStoreBenchFixture> CreateAsync(bool quick)
    {
        var size = quick ? 64 << 20 : 1 << 30;
        var store = await EmbeddedObjectStore.StartAsync(new ObjectStoreOptions
        {
            // Room for two large objects (one resident for gets, one being put) plus the small ones.
            Capacity = (2L * size) + (256L << 20),
            SocketPath = Path.Combine(Path.GetTempPath(), $"orleansray-bench-{Guid.NewGuid():N}.sock"),
            TransferPort = null,
        });
        // Prefaulted: the figures are steady-state puts and gets, not this process's first touch of each page.
        var client = await ObjectStoreClient.ConnectAsync(store.SocketPath!, prefault: true);
        var writeBehind = await ObjectStoreClient.ConnectAsync(store.SocketPath!, new ObjectStoreClientOptions { Prefault = true, WriteBehindPuts = true });
        var source = GC.AllocateUninitializedArray<byte>(size);
        new Random(1).NextBytes(source.AsSpan(0, 1 << 20));
        for (var offset = 1 << 20; offset < size; offset += 1 << 20)
        {
            source.AsSpan(0, Math.Min(1 << 20, size - offset)).CopyTo(source.AsSpan(offset));
        }

        return new ObjectStoreBenchFixture(store, client, writeBehind, source);
    }

    public async ValueTask DisposeAsync()
    {
        await WriteBehindClient.DisposeAsync();
        await Client.DisposeAsync();
        await Store.DisposeAsync();
    }
}
