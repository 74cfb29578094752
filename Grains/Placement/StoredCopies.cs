using System.Collections.Concurrent;
using OrleansRay.Grains;
using OrleansRay.Transport;

namespace OrleansRay.Placement;

/// <summary>Frees every copy of an object when its owner frees it: the primary in the store of the node that made it
/// and the secondary copies other nodes pulled. Ray's owner tracks the copies' locations; here any node may have pulled
/// one (a task's argument, a borrower's read), so the owner tells every live node, batched per node: only objects
/// above the inline threshold are stored, so these messages are few next to the bytes they free.</summary>
internal sealed class StoredCopies
{
    private readonly ClusterRefresh _refresh;
    private readonly ConcurrentDictionary<INodeEndpoint, SendPump<ObjectId>> _pumps = new();

    public StoredCopies(ClusterRefresh refresh)
    {
        _refresh = refresh;
    }

    /// <summary>The owner freed <paramref name="stored"/> (its own store's copy is deleted by the owner already).</summary>
    public void Freed(StoredObject stored)
    {
        foreach (var node in _refresh.Nodes)
        {
            var pump = _pumps.GetOrAdd(node.Endpoint, static endpoint => new SendPump<ObjectId>(
                endpoint.DeleteStoredAsync,
                static (_, _) => { }, // the node is gone, and its copies with it
                alwaysOnThreadPool: true));
            pump.Enqueue(stored.Id);
        }
    }
}
