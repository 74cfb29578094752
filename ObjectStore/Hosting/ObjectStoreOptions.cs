using System.Net;
using OrleansRay.ObjectStore.Security;

namespace OrleansRay.ObjectStore.Hosting;

/// <summary>Settings of one object store (embedded or the orleansray-store executable).</summary>
public sealed class ObjectStoreOptions
{
    /// <summary>Arena size in bytes: Ray's object_store_memory. Default: 30% of the memory available to the process, at most 200 GiB (Ray's cap).</summary>
    public long Capacity { get; set; } = DefaultCapacity();

    /// <summary>Where the arena file is created (a tmpfs, so it stays in RAM). Default: /dev/shm.</summary>
    public string ArenaDirectory { get; set; } = "/dev/shm";

    /// <summary>Where primary copies are spilled under memory pressure. Default: a fresh folder under the temp directory, removed on stop.</summary>
    public string? SpillDirectory { get; set; }

    /// <summary>A Unix domain socket path for out-of-process clients, or null for none. Default: null.</summary>
    public string? SocketPath { get; set; }

    /// <summary>TCP port of the peer-transfer endpoint: 0 picks a free port, null disables it. Default: 0.</summary>
    public int? TransferPort { get; set; } = 0;

    /// <summary>Address the peer-transfer endpoint binds to. Default: loopback (set the node's address in a cluster).</summary>
    public IPAddress TransferAddress { get; set; } = IPAddress.Loopback;

    /// <summary>The cluster's credentials (from its auth token), or null. With them the peer-transfer endpoint accepts
    /// only TLS 1.3 connections whose client certificate carries the cluster's key, and this store's pulls connect the
    /// same way, so a process without the token can neither read nor serve objects; a refused peer is reported to
    /// <see cref="PeerRefused"/>. Null: plain TCP, as a store of a cluster started with <c>--insecure</c> or an embedded
    /// node (which has no peers) uses. Default: null. Not disposed by the store; the orleansray-store executable takes
    /// them from <c>ORLEANSRAY_AUTH_TOKEN</c>, never from its command line.</summary>
    public ClusterCredentials? Credentials { get; set; }

    /// <summary>Called with one line when the peer-transfer endpoint refuses a connection: a failed or timed-out TLS
    /// handshake (another token, no TLS), naming the peer's address and why. Called on a thread-pool thread; it must not
    /// throw. The orleansray-store executable writes the line to stderr. Default: null (not reported).</summary>
    public Action<string>? PeerRefused { get; set; }

    /// <summary>Fault in the whole arena at start so the first puts are not paced by page faults. Default: true.</summary>
    public bool Prefault { get; set; } = true;

    /// <summary>How long a create waits for room (evicting, spilling) before it fails with <see cref="ObjectStoreFullException"/>. Default: 30 s.</summary>
    public TimeSpan CreateTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Bytes per read or write call of a peer transfer. Default: 8 MiB.</summary>
    public int TransferChunkSize { get; set; } = 8 << 20;

    /// <summary>Upper bound on the bytes per second this store sends to one peer; 0 for none. Default: 0.</summary>
    public long TransferRateLimit { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (Capacity < 0)
        {
            throw new ArgumentException($"ObjectStoreOptions.Capacity must be >= 0, not {Capacity}.", nameof(Capacity));
        }

        if (string.IsNullOrWhiteSpace(ArenaDirectory))
        {
            throw new ArgumentException("ObjectStoreOptions.ArenaDirectory must be set.", nameof(ArenaDirectory));
        }

        if (TransferPort is < 0 or > 65535)
        {
            throw new ArgumentException($"ObjectStoreOptions.TransferPort must be 0..65535 or null, not {TransferPort}.", nameof(TransferPort));
        }

        if (CreateTimeout < TimeSpan.Zero)
        {
            throw new ArgumentException("ObjectStoreOptions.CreateTimeout must not be negative.", nameof(CreateTimeout));
        }

        if (TransferChunkSize < 4096)
        {
            throw new ArgumentException($"ObjectStoreOptions.TransferChunkSize must be at least 4096, not {TransferChunkSize}.", nameof(TransferChunkSize));
        }

        if (TransferRateLimit < 0)
        {
            throw new ArgumentException("ObjectStoreOptions.TransferRateLimit must not be negative.", nameof(TransferRateLimit));
        }

        if (SocketPath is { Length: > 100 })
        {
            // sun_path holds 108 bytes on Linux.
            throw new ArgumentException($"ObjectStoreOptions.SocketPath is too long for a Unix socket: {SocketPath}.", nameof(SocketPath));
        }
    }

    private static long DefaultCapacity()
    {
        var available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        const long RayCap = 200L << 30;
        return available > 0 ? Math.Min(available * 3 / 10, RayCap) : 1L << 30;
    }
}
