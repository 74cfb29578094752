using OrleansRay.Grains;

namespace OrleansRay.Transport;

/// <summary>This process as a member of the cluster: its ids, its endpoint, its grain factory and whether it has shut
/// down. Every layer reads it; only the node's composition root (<c>NodeRuntime</c>) writes it.</summary>
/// <remarks>Ray's counterpart is the core worker's address (node id, worker id, RPC endpoint) that every owner stamps on
/// the objects it owns.</remarks>
internal sealed class LocalNode
{
    private volatile bool _disposed;
    private volatile Func<Exception>? _lost;

    /// <summary>Creates the identity of a new runtime: a fresh <see cref="WorkerId"/>, no node id and no endpoint yet.</summary>
    public LocalNode(NodeRuntimeOptions options, IGrainFactory grainFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(grainFactory);
        Options = options;
        GrainFactory = grainFactory;
    }

    /// <summary>The worker id that owns this node's objects and stamps its actor calls.</summary>
    public WorkerId WorkerId { get; } = WorkerId.NewId();

    /// <summary>The silo address text of this node (default until the silo has started).</summary>
    public NodeId NodeId { get; set; }

    /// <summary><see cref="NodeId"/>'s text, empty before the silo has started.</summary>
    public string Name => NodeId.Value ?? string.Empty;

    /// <summary>The node's settings.</summary>
    public NodeRuntimeOptions Options { get; }

    /// <summary>False for a connected driver: it owns objects and submits work but runs none.</summary>
    public bool CanExecute => Options.CanExecute;

    /// <summary>The grain factory of the silo or client this runtime lives in.</summary>
    public IGrainFactory GrainFactory { get; }

    /// <summary>This runtime's endpoint reference (set when it joins a cluster; null before).</summary>
    public INodeEndpoint? Endpoint { get; set; }

    /// <summary>Where this node's task channel listens, "address:port" (null: it has none).</summary>
    public string? TaskChannel { get; set; }

    /// <summary>True once the node has shut down.</summary>
    public bool IsDisposed => _disposed;

    /// <summary>Marks the node as shut down; <see cref="ThrowIfDisposed"/> throws from then on.</summary>
    public void MarkDisposed() => _disposed = true;

    /// <summary>Why this runtime's objects fail once it lost its cluster (a connected driver nothing answered for its
    /// reconnect timeout; <see cref="RayErrorKind.ClusterLost"/>); null while it has not. The runtime's shutdown fails
    /// its objects with it instead of "shut down".</summary>
    public RayError? LostError { get; private set; }

    /// <summary>True once <see cref="MarkLost"/> ran.</summary>
    public bool IsLost => _lost is not null;

    /// <summary>Completes when <see cref="MarkLost"/> runs (never for a runtime that keeps its cluster).</summary>
    public Task Lost => _lostSignal.Task;

    private readonly TaskCompletionSource _lostSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Throws what <see cref="MarkLost"/> was given once it ran (shut down or not yet); nothing before.</summary>
    public void ThrowIfLost()
    {
        if (_lost is { } lost)
        {
            throw lost();
        }
    }

    /// <summary>Records that this runtime lost its cluster, before it is shut down: from then on
    /// <see cref="ThrowIfDisposed"/> throws what <paramref name="exception"/> makes (the public exception, made by the
    /// API layer above) instead of <see cref="ShutDown"/>, and the shutdown fails every object with
    /// <paramref name="error"/>. The first call wins.</summary>
    public void MarkLost(RayError error, Func<Exception> exception)
    {
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(exception);
        if (_lost is null)
        {
            LostError = error;
            _lost = exception;
            _lostSignal.TrySetResult();
        }
    }

    /// <summary>Throws <see cref="ObjectDisposedException"/> once the node has shut down (the exception of
    /// <see cref="MarkLost"/> when it shut down because it lost its cluster).</summary>
    public void ThrowIfDisposed()
    {
        if (_disposed)
        {
            throw _lost?.Invoke() ?? ShutDown();
        }
    }

    /// <summary>The one exception of every use of a node (and of its driver's <c>IRay</c>, refs and handles) after it
    /// shut down. It names no object: the runtime's own types are internal, and "Object name: 'NodeRuntime'" would only
    /// puzzle.</summary>
    public static ObjectDisposedException ShutDown() => new((string?)null, "The OrleansRay node has shut down.");
}
