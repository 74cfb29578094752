using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansRay.ObjectStore;
using OrleansRay.ObjectStore.Client;
using OrleansRay.ObjectStore.Hosting;
using OrleansRay.ObjectStore.Storage;
using OrleansRay.Ownership;
using OrleansRay.Node;
using OrleansRay.Transport;

namespace OrleansRay.Hosting;

/// <summary>A node's in-process object store as a service of its silo (<c>UseOrleansRay</c>): the embedded store, the
/// runtime's client of it, and the node's spill folder. Started when the node runtime is built, and disposed with the
/// host's services after the runtime (which deletes its stored objects first).</summary>
/// <remarks>Empty (<see cref="Local"/> null) when the node has no store (object_store_memory 0) or the host runs the
/// store itself (<see cref="RayNodeOptions.ObjectStoreInProcess"/> false: <c>orleansray start</c>'s store process).</remarks>
internal sealed partial class NodeObjectStore : IAsyncDisposable
{
    private readonly EmbeddedObjectStore? _store;
    private readonly ObjectStoreClient? _client;
    private readonly string? _spillDirectory;
    private readonly ILogger<NodeObjectStore> _logger;

    private NodeObjectStore(EmbeddedObjectStore? store, ObjectStoreClient? client, string? spillDirectory, LocalObjectStore? local, ILogger<NodeObjectStore> logger)
    {
        // All four are set together (a store in this process), the client and local only (a store the host runs), or
        // none of them (no store).
        _store = store;
        _client = client;
        _spillDirectory = spillDirectory;
        Local = local;
        _logger = logger;
    }

    /// <summary>The runtime's side of the store, or null when this node has none in this process.</summary>
    public LocalObjectStore? Local { get; }

    /// <summary>The embedded store, or null when this node has none in this process.</summary>
    public EmbeddedObjectStore? Store => _store;

    /// <summary>Starts the store the node's options ask for (none when object_store_memory is 0 or the host runs it).</summary>
    /// <remarks>Called by the container while it builds the node runtime, which needs the store's client in its
    /// constructor; the container builds services synchronously, so this waits for the start. The arena is not
    /// prefaulted, so starting takes milliseconds, and memory is only taken as objects arrive (several nodes may share
    /// a process, each with Ray's 30%-of-RAM default).</remarks>
    public static NodeObjectStore Start(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var logger = services.GetRequiredService<ILogger<NodeObjectStore>>();
        var runtimeOptions = services.GetRequiredService<NodeRuntimeOptions>();
        var capacity = (long)runtimeOptions.Resources[ResourceSet.ObjectStoreMemory];
        var nodeOptions = services.GetRequiredService<IOptions<RayNodeOptions>>().Value;
        if (!nodeOptions.ObjectStoreInProcess)
        {
            return nodeOptions.ExternalObjectStore is { } external
                ? ConnectExternal(services, external.SocketPath, external.TransferEndPoint, logger)
                : new NodeObjectStore(null, null, null, null, logger);
        }

        if (capacity == 0)
        {
            return new NodeObjectStore(null, null, null, null, logger);
        }

        // Spill folders of nodes killed on this machine before (SIGKILL leaves them) go first.
        StaleSpillDirectories.Remove(Path.GetTempPath());
        var spillDirectory = StaleSpillDirectories.NewPath(Path.GetTempPath());
        Directory.CreateDirectory(spillDirectory);
        EmbeddedObjectStore? store = null;
        try
        {
            store = EmbeddedObjectStore.StartAsync(
                new ObjectStoreOptions
                {
                    Capacity = capacity,
                    Prefault = false,
                    SpillDirectory = spillDirectory,
                    // Other nodes pull this node's objects from here, on the address the silo advertises.
                    TransferAddress = TransferAddress(services),
                    TransferPort = 0,
                    // TLS 1.3 with the cluster's key for its peers and its pulls; null (embedded, --insecure): plain.
                    Credentials = nodeOptions.Credentials,
                    PeerRefused = line => LogPeerRefused(logger, line),
                }).GetAwaiter().GetResult();
            // Nothing outside this process maps the arena (no socket): unlink its file now, so a process that exits
            // without disposing its node (or is killed) leaves no multi-GiB file in /dev/shm; the mapping stays valid.
            TryDelete(store.ArenaPath);
            var client = store.Connect();
            var local = ActivatorUtilities.CreateInstance<LocalObjectStore>(services, client, store.TransferEndPoint!.ToString());
            return new NodeObjectStore(store, client, spillDirectory, local, logger);
        }
        catch
        {
            store?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            DeleteSpillDirectory(spillDirectory);
            throw;
        }
    }

    /// <summary>Connects the runtime to the store process the host started (<c>orleansray start</c>), which the host
    /// also stops: only this client is disposed with the node.</summary>
    private static NodeObjectStore ConnectExternal(IServiceProvider services, string socketPath, string transferEndPoint, ILogger<NodeObjectStore> logger)
    {
        var client = ObjectStoreClient.ConnectAsync(socketPath).GetAwaiter().GetResult();
        var local = new LocalObjectStore(
            client,
            transferEndPoint,
            services.GetRequiredService<NodeRuntimeOptions>(),
            services.GetRequiredService<Orleans.Serialization.Serializer>(),
            services.GetRequiredService<ILogger<LocalObjectStore>>())
        {
            SocketPath = socketPath,
        };
        return new NodeObjectStore(null, client, null, local, logger);
    }

    /// <summary>The address other nodes reach this silo at (its advertised address), or loopback when it has none.</summary>
    private static System.Net.IPAddress TransferAddress(IServiceProvider services)
    {
        var advertised = services.GetService<IOptions<Orleans.Configuration.EndpointOptions>>()?.Value.AdvertisedIPAddress;
        return advertised is null || advertised.Equals(System.Net.IPAddress.Any) || advertised.Equals(System.Net.IPAddress.IPv6Any)
            ? System.Net.IPAddress.Loopback
            : advertised;
    }

    public async ValueTask DisposeAsync()
    {
        if (_store is null && _client is not null)
        {
            // A store the host runs: close this runtime's connection only.
            await _client.DisposeAsync().ConfigureAwait(false);
            return;
        }

        if (_store is null || _client is null || _spillDirectory is null)
        {
            return;
        }

        try
        {
            if (_store.GetStats().PinnedCount is var pinned and > 0)
            {
                LogBuffersStillPinned(_logger, pinned);
            }

            await _client.DisposeAsync().ConfigureAwait(false);
            await _store.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            DeleteSpillDirectory(_spillDirectory);
        }
    }

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static void DeleteSpillDirectory(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
            // Best effort: a leftover empty temp folder is harmless.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Object store: {Line}")]
    private static partial void LogPeerRefused(ILogger logger, string line);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The node shut down while {Pinned} object buffers were still undisposed: their memory is unmapped now, do not read them")]
    private static partial void LogBuffersStillPinned(ILogger logger, int pinned);
}
