using System.Net;
using OrleansRay.ObjectStore.Client;
using OrleansRay.ObjectStore.Protocol;
using OrleansRay.ObjectStore.Storage;
using OrleansRay.ObjectStore.Transfer;

namespace OrleansRay.ObjectStore.Hosting;

/// <summary>An object store running inside this process (what <c>Ray.InitAsync()</c> uses, and what the orleansray-store executable hosts).</summary>
/// <remarks>
/// In-process clients from <see cref="Connect"/> call the store directly (no socket). With
/// <see cref="ObjectStoreOptions.SocketPath"/> set, other processes connect too; with
/// <see cref="ObjectStoreOptions.TransferPort"/> set, peers pull objects over TCP (TLS 1.3 with
/// <see cref="ObjectStoreOptions.Credentials"/>; this store's own pulls use them too).
/// Metrics are published on the meter <c>OrleansRay.ObjectStore</c> (<c>orleansray.objectstore.*</c>).
/// Dispose only after every in-process <see cref="ObjectBuffer{T}"/> is disposed: their memory is unmapped.
/// </remarks>
public sealed class EmbeddedObjectStore : IAsyncDisposable
{
    private readonly StoreCore _core;
    private readonly StoreSocketServer? _socketServer;
    private readonly TransferServer? _transferServer;
    private readonly ObjectStoreInstruments _instruments;
    private int _clientCount;
    private int _disposed;

    private EmbeddedObjectStore(StoreCore core, StoreSocketServer? socketServer, TransferServer? transferServer)
    {
        _core = core;
        _socketServer = socketServer;
        _transferServer = transferServer;
        _instruments = new ObjectStoreInstruments(core);
    }

    /// <summary>Usable arena bytes.</summary>
    public long Capacity => _core.Capacity;

    /// <summary>The arena file (under /dev/shm by default); deleted when the store stops.</summary>
    public string ArenaPath => _core.Arena.Path;

    /// <summary>The Unix socket clients connect to, or null when none was asked for.</summary>
    public string? SocketPath => _socketServer?.Path;

    /// <summary>The bound peer-transfer endpoint, or null when disabled.</summary>
    public IPEndPoint? TransferEndPoint => _transferServer?.EndPoint;

    internal StoreCore Core => _core;

    /// <summary>Creates the arena (prefaulted unless disabled), then opens the socket and transfer endpoints asked for.</summary>
    /// <exception cref="ArgumentException">An option is invalid (the message names it).</exception>
    public static Task<EmbeddedObjectStore> StartAsync(ObjectStoreOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        // Creating and prefaulting the arena is blocking work proportional to its size: keep it off the caller's thread.
        return Task.Run(
            async () =>
            {
                var core = new StoreCore(options);
                StoreSocketServer? socketServer = null;
                TransferServer? transferServer = null;
                try
                {
                    var puller = new TransferPuller(core, options.Credentials);
                    core.SetPuller(puller.PullAsync);
                    if (options.TransferPort is { } port)
                    {
                        transferServer = new TransferServer(core, options.TransferAddress, port, options.Credentials, options.PeerRefused);
                    }

                    if (options.SocketPath is { } socketPath)
                    {
                        socketServer = new StoreSocketServer(core, socketPath);
                    }

                    return new EmbeddedObjectStore(core, socketServer, transferServer);
                }
                catch
                {
                    if (transferServer is not null)
                    {
                        await transferServer.DisposeAsync().ConfigureAwait(false);
                    }

                    await core.DisposeAsync().ConfigureAwait(false);
                    throw;
                }
            },
            cancellationToken);
    }

    /// <summary>A client that calls this store directly, sharing its mapping.</summary>
    public ObjectStoreClient Connect()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var channel = new InProcessChannel(_core, $"in-process client {Interlocked.Increment(ref _clientCount)}");
        return new ObjectStoreClient(channel, _core.Arena, ownsMapping: false);
    }

    /// <summary>Statistics of the table and arena.</summary>
    public ObjectStoreStats GetStats() => _core.GetStats();

    /// <summary>Stops accepting clients and peers, waits for running transfers, unmaps and deletes the arena and spill files.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _instruments.Dispose();
        if (_socketServer is not null)
        {
            await _socketServer.DisposeAsync().ConfigureAwait(false);
        }

        if (_transferServer is not null)
        {
            await _transferServer.DisposeAsync().ConfigureAwait(false);
        }

        await _core.DisposeAsync().ConfigureAwait(false);
    }
}
