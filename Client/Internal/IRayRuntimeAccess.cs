using OrleansRay.Node;

namespace OrleansRay.Internal;

/// <summary>Implemented by OrleansRay's own <see cref="IRay"/> implementations: the builders reach the node runtime through it.</summary>
internal interface IRayRuntimeAccess
{
    NodeRuntime Runtime { get; }

    /// <summary>Records an actor created through this instance (non-detached actors die with the driver).</summary>
    void TrackActor(ActorId actorId, bool detached);

    /// <summary>Throws <see cref="ObjectDisposedException"/> ("The OrleansRay node has shut down.") once this instance's
    /// disposal has begun or its node has shut down.</summary>
    void ThrowIfDisposed();

    /// <summary>Fires when this instance's disposal begins (a driver's); never for the IRay of a node's own tasks. Waits
    /// that poll the cluster (a placement group's <c>ReadyAsync</c>) end on it instead of calling a cluster that is
    /// shutting down.</summary>
    CancellationToken Disposing { get; }

    static NodeRuntime Of(IRay ray)
    {
        ArgumentNullException.ThrowIfNull(ray);
        if (ray is IRayRuntimeAccess access)
        {
            return access.Runtime;
        }

        throw new ArgumentException($"{ray.GetType().FullName} is not an OrleansRay instance; use the IRay returned by Ray.InitAsync or Ray.Current.", nameof(ray));
    }

    /// <summary>The runtime of <paramref name="ray"/> for new work: <see cref="Of"/>, after <see cref="ThrowIfDisposed"/>.</summary>
    /// <exception cref="ObjectDisposedException">The instance is being or was disposed, or its node has shut down.</exception>
    static NodeRuntime Live(IRay ray)
    {
        var runtime = Of(ray);
        ((IRayRuntimeAccess)ray).ThrowIfDisposed();
        return runtime;
    }
}
