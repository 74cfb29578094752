using OrleansRay.Internal;

namespace OrleansRay;

/// <summary>Creation, lookup and kill of actors behind grain interfaces (the IRay side).</summary>
internal static class ActorGrains
{
    public static Task<TActor> CreateAsync<TActor>(RayInstance ray, ActorOptions? options, CancellationToken cancellationToken) where TActor : IActor =>
        throw new NotImplementedException();

    public static Task<TActor> GetAsync<TActor>(RayInstance ray, string name, string? @namespace) where TActor : IActor =>
        throw new NotImplementedException();

    public static Task KillAsync(RayInstance ray, IActor actor, bool noRestart) =>
        throw new NotImplementedException();
}
