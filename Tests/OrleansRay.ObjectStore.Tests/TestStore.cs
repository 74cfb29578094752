using System.Net;
using OrleansRay.ObjectStore.Hosting;

namespace OrleansRay.ObjectStore.Tests;

/// <summary>A store started for one test: embedded in the test process, or a real orleansray-store child process.</summary>
internal sealed class TestStore : IAsyncDisposable
{
    private TestStore(EmbeddedObjectStore? embedded, ObjectStoreProcess? process)
    {
        Embedded = embedded;
        Process = process;
    }

    public EmbeddedObjectStore? Embedded { get; }

    public ObjectStoreProcess? Process { get; }

    public IPEndPoint TransferEndPoint => Embedded?.TransferEndPoint ?? Process!.TransferEndPoint!;

    public static ObjectStoreOptions Options(long capacity, Action<ObjectStoreOptions>? configure)
    {
        var options = new ObjectStoreOptions
        {
            Capacity = capacity,
            Prefault = capacity >= 256L << 20,
            TransferPort = 0,
            CreateTimeout = TimeSpan.FromSeconds(20),
        };
        configure?.Invoke(options);
        return options;
    }

    public static async Task<TestStore> StartEmbeddedAsync(long capacity, Action<ObjectStoreOptions>? configure = null) =>
        new(await EmbeddedObjectStore.StartAsync(Options(capacity, configure)), null);

    public static async Task<TestStore> StartProcessAsync(long capacity, Action<ObjectStoreOptions>? configure = null) =>
        new(null, await ObjectStoreProcess.StartAsync(new ObjectStoreProcessOptions { Store = Options(capacity, configure) }));

    public async Task<ObjectStoreClient> ConnectAsync() => Embedded?.Connect() ?? await Process!.ConnectAsync();

    public async ValueTask DisposeAsync()
    {
        if (Embedded is not null)
        {
            await Embedded.DisposeAsync();
        }

        if (Process is not null)
        {
            await Process.DisposeAsync();
        }
    }
}
