using System.Collections.Concurrent;
using OrleansRay.Grains;
using OrleansRay.Transport;

namespace OrleansRay.Ownership;

/// <summary>Tells owners about refs of theirs that live in this process (borrowers), in batches per owner.</summary>
internal sealed class BorrowTracker
{
    private readonly ConcurrentDictionary<INodeEndpoint, SendPump<(ObjectId Id, bool Add)>> _pumps = new();

    public void Add(INodeEndpoint owner, ObjectId id) => PumpOf(owner).Enqueue((id, true));

    public void Remove(INodeEndpoint owner, ObjectId id) => PumpOf(owner).Enqueue((id, false));

    private SendPump<(ObjectId Id, bool Add)> PumpOf(INodeEndpoint owner) =>
        _pumps.GetOrAdd(owner, static endpoint => new SendPump<(ObjectId Id, bool Add)>(
            batch => endpoint.BorrowsChangedAsync(batch.Where(b => b.Add).Select(b => b.Id).ToArray(), batch.Where(b => !b.Add).Select(b => b.Id).ToArray()),
            static (_, _) => { /* the owner is gone: so are its objects */ },
            alwaysOnThreadPool: true)); // removals come from finalizers
}
