namespace OrleansRay.ObjectStore;

/// <summary>The store could not make room for an object before the deadline: everything else is pinned or being written.</summary>
public sealed class ObjectStoreFullException : ObjectStoreException
{
    public ObjectStoreFullException()
    {
    }

    public ObjectStoreFullException(string message)
        : base(message)
    {
    }

    public ObjectStoreFullException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    internal static ObjectStoreFullException Create(long requested, long capacity, long pinnedBytes, TimeSpan waited) =>
        new($"The object store is full: it holds {Describe(capacity)} and could not make room for an object of " +
            $"{Describe(requested)} within {waited.TotalSeconds:0.###} s ({Describe(pinnedBytes)} is pinned by readers or still being written, " +
            "and nothing else can be evicted or spilled). Dispose ObjectBuffers you no longer need, or " + RaiseStoreMemory + ".");

    /// <summary>A pull of another node's object that found no room here before its time ran out.</summary>
    internal static ObjectStoreFullException ForPull(string what, long requested, TimeSpan waited, Exception inner) =>
        new($"The object store has no room for a copy of {what} ({Describe(requested)}): none came free within " +
            $"{waited.TotalSeconds:0.###} s, its memory held by pinned objects (ObjectBuffers not disposed yet) and objects being written. " +
            "Dispose ObjectBuffers you no longer need, or " + RaiseStoreMemory + ".", inner);

    internal static ObjectStoreFullException TooLarge(long requested, long capacity) =>
        new($"The object of {Describe(requested)} can never fit in the object store, which holds {Describe(capacity)}. " +
            "Split the object, or " + RaiseStoreMemory + ".");

    /// <summary>This failure as the store of <paramref name="node"/> had it: the message names the node first (a cluster
    /// has a store per node, and the one that refused may not be the reader's), the original inside.</summary>
    /// <param name="node">The node whose store it is, e.g. its id.</param>
    internal ObjectStoreFullException OnNode(string node) => new($"On node {node}: {Message}", this);

    /// <summary>How a user gives the store more memory: the node's CLI option, or the embedded driver's option.</summary>
    private const string RaiseStoreMemory =
        "give the object store more memory: --object-store-memory BYTES for a node started with `orleansray start`, " +
        "RayOptions.ObjectStoreMemory for a driver started with Ray.InitAsync()";

    private static string Describe(long bytes) => bytes >= 1 << 20
        ? $"{bytes / (double)(1 << 20):0.##} MiB ({bytes} bytes)"
        : $"{bytes} bytes";
}
