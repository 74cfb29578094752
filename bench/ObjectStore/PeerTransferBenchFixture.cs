using OrleansRay.ObjectStore;
using OrleansRay.ObjectStore.Hosting;

namespace OrleansRay.Bench.Objects;

/// <summary>Two stores with transfer endpoints on loopback; the source holds one large object.</summary>
internal sealed class PeerTransferBenchFixture : IAsyncDisposable
{
    private PeerTransferBenchFixture(EmbeddedObjectStore source, EmbeddedObjectStore destination, ObjectStoreClient destinationClient, StoreObjectId id, int size)
    {
        Source = source;
        Destination = destination;
        DestinationClient = destinationClient;
        Id = id;
        Size = size;
    }

    public EmbeddedObjectStore Source { get; }

    public EmbeddedObjectStore Destination { get; }

    public ObjectStoreClient DestinationClient { get; }

    public StoreObjectId Id { get; }

    public int Size { get; }

    public static async Task<PeerTransferBenchFixture> CreateAsync(bool quick)
    {
        var size = quick ? 64 << 20 : 1 << 30;
        var options = () => new ObjectStoreOptions { Capacity = size + (64L << 20), TransferPort = 0 };
        var source = await EmbeddedObjectStore.StartAsync(options());
        var destination = await EmbeddedObjectStore.StartAsync(options());
        var id = StoreObjectId.NewId();
        await using (var client = source.Connect())
        {
            await using var writer = await client.CreateAsync(id, size);
            writer.Span.Fill(0x5A);
            await writer.SealAsync();
        }

        return new PeerTransferBenchFixture(source, destination, destination.Connect(), id, size);
    }

    public async ValueTask DisposeAsync()
    {
        await DestinationClient.DisposeAsync();
        await Destination.DisposeAsync();
        await Source.DisposeAsync();
    }
}
