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

        // Each row's actor is asked whether it lives, as GetActorAsync does, and the dead are left out.
        var live = new System.Collections.Concurrent.ConcurrentBag<NamedActor>();
        await Parallel.ForEachAsync(directories.SelectMany(d => d), new ParallelOptions { MaxDegreeOfParallelism = NamedActorChecks }, async (info, _) =>
        {
            if (await IsNotDeadAsync(info).ConfigureAwait(false))
            {
                live.Add(new NamedActor(info.Name, info.Namespace, info.ClassName, info.ActorId));
            }
        }).ConfigureAwait(false);

        return [.. live.OrderBy(a => a.Namespace, StringComparer.Ordinal).ThenBy(a => a.Name, StringComparer.Ordinal)];
    }

    /// <summary>False when the host of a directory row's actor says it is dead (a row can outlive an actor whose node died
    /// before its death was recorded); true for a live, pending or restarting actor.</summary>
    private async Task<bool> IsNotDeadAsync(ActorInfo info)
    {
        var now = await ClusterCalls.RunAsync(Runtime, Runtime.GrainFactory.GetGrain<IActorHostGrain>(info.ActorId.ToGuid()).GetInfoAsync()).ConfigureAwait(false);
        return now is not { State: ActorState.Dead };
    }
}
