using OrleansRay.Node;

namespace OrleansRay.Internal;

/// <summary>Implemented by OrleansRay's own <see cref="IRay"/> implementations: the builders reach the node runtime through it.</summary>
internal interface IRayRuntimeAccess
{
    NodeRuntime Runtime { get; }

    /// <summary>Records an actor created through this instance (non-detached actors die with the driver).</summary>
    void TrackActor(ActorId actorId, bool detached);

    static NodeRuntime Of(IRay ray)
    {
        ArgumentNullException.ThrowIfNull(ray);
        if (ray is IRayRuntimeAccess access)
        {
            return access.Runtime;
        }

        throw new ArgumentException($"{ray.GetType().FullName} is not an OrleansRay instance; use the IRay returned by Ray.InitAsync or Ray.Current.", nameof(ray));
    }
}
