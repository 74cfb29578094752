using OrleansRay.ObjectStore;
using OrleansRay.Ownership;

namespace OrleansRay.Node;

/// <summary>Whether stored objects are spilled now, read from a runtime's object store (the state API's spilled column;
/// <see cref="INodeEndpoint.GetSpilledAsync"/>).</summary>
internal static class StoreResidency
{
    /// <summary>How many ids one store request names (the store's batch limit).</summary>
    public const int Batch = 1024;

    /// <summary>For each of <paramref name="ids"/>: true when <paramref name="runtime"/>'s store holds it spilled, false
    /// when in memory, null when it does not hold it (or the runtime has no store). One store request per
    /// <see cref="Batch"/> ids.</summary>
    public static async Task<bool?[]> SpilledAsync(NodeRuntime runtime, IReadOnlyList<ObjectId> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(ids);
        var answer = new bool?[ids.Count];
        if (runtime.Store is not { } store)
        {
            return answer;
        }

        for (var start = 0; start < ids.Count; start += Batch)
        {
            var batch = new StoreObjectId[Math.Min(Batch, ids.Count - start)];
            for (var i = 0; i < batch.Length; i++)
            {
                batch[i] = LocalObjectStore.ToStoreId(ids[start + i]);
            }

            var places = await store.Client.GetResidencyAsync(batch, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < places.Length; i++)
            {
                answer[start + i] = places[i] switch
                {
                    ObjectResidency.Spilled => true,
                    ObjectResidency.InMemory => false,
                    _ => null,
                };
            }
        }

        return answer;
    }
}
