using OrleansRay.ObjectStore;
using OrleansRay.ObjectStore.Hosting;

namespace OrleansRay.Hosting;

/// <summary>An embedded node's object store: the in-process store, the runtime's client of it, and the node's spill
/// folder, started before the silo and stopped after it.</summary>
internal sealed class NodeObjectStore : IAsyncDisposable
{
    private readonly string _spillDirectory;

    private NodeObjectStore(EmbeddedObjectStore store, ObjectStoreClient client, string spillDirectory)
    {
        Store = store;
        Client = client;
        _spillDirectory = spillDirectory;
    }

    public EmbeddedObjectStore Store { get; }

    public ObjectStoreClient Client { get; }

    /// <summary>Starts a store of <paramref name="capacity"/> bytes. The arena is not prefaulted: memory is only taken
    /// as objects arrive (several embedded nodes may share a process, each with Ray's 30%-of-RAM default).</summary>
    public static async Task<NodeObjectStore> StartAsync(long capacity, CancellationToken cancellationToken)
    {
        var spillDirectory = Path.Combine(Path.GetTempPath(), "orleansray-spill-" + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(spillDirectory);
        EmbeddedObjectStore? store = null;
        try
        {
            store = await EmbeddedObjectStore.StartAsync(
                new ObjectStoreOptions
                {
                    Capacity = capacity,
                    Prefault = false,
                    SpillDirectory = spillDirectory,
                    TransferPort = null, // one node: no peers to pull from it
                },
                cancellationToken).ConfigureAwait(false);
            // Nothing outside this process maps the arena (no socket): unlink its file now, so a process that exits
            // without disposing its node (or is killed) leaves no multi-GiB file in /dev/shm; the mapping stays valid.
            TryDelete(store.ArenaPath);
            return new NodeObjectStore(store, store.Connect(), spillDirectory);
        }
        catch
        {
            if (store is not null)
            {
                await store.DisposeAsync().ConfigureAwait(false);
            }

            DeleteSpillDirectory(spillDirectory);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Client.DisposeAsync().ConfigureAwait(false);
            await Store.DisposeAsync().ConfigureAwait(false);
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
}
