using OrleansRay.Grains;

namespace OrleansRay;

internal abstract partial class RayInstance
{
    /// <summary>Actors whose liveness a listing asks at once.</summary>
    private const int NamedActorChecks = 64;

    public async Task<IReadOnlyList<NamedActor>> ListNamedActorsAsync(bool allNamespaces = false)
    {
        ThrowIfDisposed();
        var grains = Runtime.GrainFactory;
        IReadOnlyList<string> namespaces = allNamespaces
            ? await ClusterCalls.RunAsync(Runtime, grains.GetGrain<IActorNamespacesGrain>(0).ListAsync()).ConfigureAwait(false)
            : [Namespace];
        var directories = await Task.WhenAll(namespaces.Select(ns => ClusterCalls.RunAsync(Runtime, grains.GetGrain<IActorDirectoryGrain>(ns).ListAsync()))).ConfigureAwait(false);

        // A directory row can outlive an actor whose node died before its death was recorded: ask each actor's host, as
        // GetActorAsync does, and leave out the dead.
        var live = new System.Collections.Concurrent.ConcurrentBag<NamedActor>();
        await Parallel.ForEachAsync(directories.SelectMany(d => d), new ParallelOptions { MaxDegreeOfParallelism = NamedActorChecks }, async (info, _) =>
        {
            var now = await ClusterCalls.RunAsync(Runtime, grains.GetGrain<IActorHostGrain>(info.ActorId.ToGuid()).GetInfoAsync()).ConfigureAwait(false);
            if (now is not { State: ActorState.Dead })
            {
                live.Add(new NamedActor(info.Name, info.Namespace, info.ClassName, info.ActorId));
            }
        }).ConfigureAwait(false);

        return [.. live.OrderBy(a => a.Namespace, StringComparer.Ordinal).ThenBy(a => a.Name, StringComparer.Ordinal)];
    }
}
