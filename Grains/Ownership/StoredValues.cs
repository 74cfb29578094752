using System.Net;
using Orleans.Serialization;
using OrleansRay.ObjectStore;
using OrleansRay.ObjectStore.Security;
using OrleansRay.ObjectStore.Transfer;

namespace OrleansRay.Ownership;

/// <summary>The one reader of stored objects, wherever they live: in this runtime's store (read in place), in another
/// node's store (pulled store-to-store into a secondary copy here, then read in place), or, for a runtime without a
/// store, fetched over the holder store's TCP transfer into managed memory.</summary>
/// <remarks>Ray's object manager: readers pull on demand, the store deduplicates concurrent pulls of one object, and a
/// secondary copy is evictable (the primary stays with the node that created it until the owner frees it).</remarks>
internal sealed class StoredValues
{
    /// <summary>Deadline of one pull or fetch, including waiting for room in this store; the holder waits half of it for
    /// the object, so a holder that no longer has it answers "not found" within 15 s.</summary>
    public static readonly TimeSpan TransferTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long to look for a pulled copy before pulling again (it may have been evicted meanwhile).</summary>
    private static readonly TimeSpan PulledCopyWait = TimeSpan.FromSeconds(1);

    private const int PullAttempts = 3;

    private readonly Serializer _serializer;
    private readonly ClusterCredentials? _credentials;
    private long _pulledBytes;

    /// <param name="serializer">Decodes stored values.</param>
    /// <param name="store">This runtime's store, or null.</param>
    /// <param name="credentials">The cluster's credentials for fetches without a store (TLS); null: plain TCP.</param>
    public StoredValues(Serializer serializer, LocalObjectStore? store, ClusterCredentials? credentials)
    {
        _serializer = serializer;
        Store = store;
        _credentials = credentials;
    }

    /// <summary>The store this runtime reads through, or null when it has none. Settable once: a connected driver
    /// attaches the store of the node it connects through when that node is on its machine.</summary>
    public LocalObjectStore? Store { get; set; }

    /// <summary>A connected driver's puts into the store of the node it connected through, recorded there as its own:
    /// over the network (<see cref="NodeStorePuts"/>) or into the store it attached (<see cref="RecordedStorePuts"/>);
    /// null for a node, or a driver whose node has no store (its values then stay inline, up to what a message
    /// carries). Set once, at connect, before any put.</summary>
    public IDriverPuts? DriverPuts { get; set; }

    /// <summary>The objects in this runtime's store that connected drivers own (their puts, their tasks' large results),
    /// by driver: freed here when their driver is gone.</summary>
    public DriverObjects DriverObjects { get; } = new();

    /// <summary>Where this runtime's large values go: a connected driver's <see cref="DriverPuts"/>, else its own store;
    /// null when they stay inline.</summary>
    public IObjectStorePuts? Puts => DriverPuts ?? (IObjectStorePuts?)Store;

    /// <summary>Bytes this runtime pulled or fetched from other nodes' stores.</summary>
    public long PulledBytes => Interlocked.Read(ref _pulledBytes);

    /// <summary>A fresh copy of the value, read on a worker thread: in place when local, else after a pull or fetch
    /// (whose I/O runs on the thread pool, never on the worker thread itself).</summary>
    /// <exception cref="RayErrorException">The object could not be read: <see cref="RayErrorKind.ObjectLost"/> when its
    /// holder is gone or no longer has it.</exception>
    public object? Read(StoredObject stored)
    {
        if (Store is { } store && store.Holds(stored))
        {
            try
            {
                return store.Read(stored);
            }
            catch (Exception ex) when (IsLoss(ex))
            {
                throw Lost(stored, ex);
            }
        }

        return Task.Run(() => ReadAsync(stored, CancellationToken.None).AsTask()).GetAwaiter().GetResult();
    }

    /// <summary>A fresh copy of the value.</summary>
    /// <exception cref="RayErrorException">The object could not be read (<see cref="RayErrorKind.ObjectLost"/>).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async ValueTask<object?> ReadAsync(StoredObject stored, CancellationToken cancellationToken)
    {
        try
        {
            if (Store is not { } store)
            {
                var bytes = await ObjectTransfer.FetchAsync(LocalObjectStore.ToStoreId(stored.Id), Parse(stored), TransferTimeout, _credentials, cancellationToken).ConfigureAwait(false);
                Interlocked.Add(ref _pulledBytes, bytes.Length);
                return StoredBytes.Decode(stored, bytes, _serializer);
            }

            return await InThisStoreAsync(store, stored, timeout => store.ReadAsync(stored, timeout, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsLoss(ex))
        {
            throw Lost(stored, ex);
        }
    }

    /// <summary>A zero-copy view of a stored raw array in this runtime's store (pulled here first when it lives
    /// elsewhere), pinned until disposed; a view of a fetched copy when this runtime has no store.</summary>
    /// <exception cref="RayErrorException">The object could not be read (<see cref="RayErrorKind.ObjectLost"/>).</exception>
    public async ValueTask<ObjectBuffer<T>> GetBufferAsync<T>(StoredObject stored, CancellationToken cancellationToken)
        where T : unmanaged
    {
        if (Store is not { } store)
        {
            var copy = (T[]?)await ReadAsync(stored, cancellationToken).ConfigureAwait(false);
            return new ObjectBuffer<T>(copy ?? ReadOnlyMemory<T>.Empty, pin: null, keepAlive: null);
        }

        try
        {
            return await InThisStoreAsync(store, stored, timeout => store.GetBufferAsync<T>(stored, timeout, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsLoss(ex))
        {
            throw Lost(stored, ex);
        }
    }

    /// <summary>Runs <paramref name="read"/> (given how long it may wait) on this store's copy: at once when the
    /// primary is here, else after pulling a secondary copy, pulling again if that copy was evicted before the read.</summary>
    private async ValueTask<T> InThisStoreAsync<T>(LocalObjectStore store, StoredObject stored, Func<TimeSpan, ValueTask<T>> read, CancellationToken cancellationToken)
    {
        if (store.Holds(stored))
        {
            return await read(LocalObjectStore.ReadTimeout).ConfigureAwait(false);
        }

        for (var attempt = 1; ; attempt++)
        {
            await PullAsync(store, stored, cancellationToken).ConfigureAwait(false);
            try
            {
                return await read(attempt == PullAttempts ? LocalObjectStore.ReadTimeout : PulledCopyWait).ConfigureAwait(false);
            }
            catch (TimeoutException) when (attempt < PullAttempts)
            {
                // The secondary copy was evicted between the pull and the read: pull it again.
            }
        }
    }

    /// <summary>True for a failure that means the copy is gone: the holder is unreachable or lacks it, the local copy
    /// is missing, or the store connection broke. A value that does not decode, or a full store, is not a loss: running
    /// the task again would not help, so it is reported as it is.</summary>
    private static bool IsLoss(Exception exception) =>
        exception is ObjectTransferException or TimeoutException or ObjectDisposedException or IOException or System.Net.Sockets.SocketException
        || (exception is ObjectStoreException && exception is not ObjectStoreFullException);

    private async ValueTask PullAsync(LocalObjectStore store, StoredObject stored, CancellationToken cancellationToken)
    {
        // Counts what this runtime asked for; the store's own figures count the bytes that crossed (a pull joined to
        // another one, or of a copy already here, moves none).
        await store.Client.PullAsync(LocalObjectStore.ToStoreId(stored.Id), Parse(stored), TransferTimeout, cancellationToken).ConfigureAwait(false);
        Interlocked.Add(ref _pulledBytes, stored.Size);
    }

    private static IPEndPoint Parse(StoredObject stored) =>
        IPEndPoint.TryParse(stored.Store, out var endpoint)
            ? endpoint
            : throw new ObjectTransferException($"Object {stored.Id} names no store to pull it from ('{stored.Store}').");

    /// <summary>The error a reader gets when a stored object cannot be read: lost with its holder, unless the owner
    /// rebuilds it (lineage), which the owner's reader does before giving up.</summary>
    /// <remarks>The store's advice to retry from another copy is left out: the runtime already looked for one, and a
    /// user cannot choose one.</remarks>
    public static RayErrorException Lost(StoredObject stored, Exception cause) =>
        new(RayError.Create(RayErrorKind.ObjectLost,
            $"Object {stored.Id} is stored on node {stored.Node} (store {stored.Store}), which could not give it: " +
            $"{cause.Message.Replace(ObjectTransferException.RetryAdvice, string.Empty, StringComparison.Ordinal)} If that node died, the object is " +
            "rebuilt only by a live owner that made it with a task it may run again; a put, or an object whose owner died too, is lost for good."));
}
