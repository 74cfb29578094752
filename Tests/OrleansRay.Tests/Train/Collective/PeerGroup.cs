using OrleansRay.Train.Collective;

namespace OrleansRay.Tests.Training.Collective;

/// <summary>N connected <see cref="CollectivePeer"/> actors of a fresh group; disposing kills them and drops the group.</summary>
internal sealed class PeerGroup : IAsyncDisposable
{
    private readonly IRay _ray;

    private PeerGroup(IRay ray, string id, ActorHandle<CollectivePeer>[] peers)
    {
        _ray = ray;
        Id = id;
        Peers = peers;
    }

    public string Id { get; }

    public ActorHandle<CollectivePeer>[] Peers { get; }

    public static async Task<PeerGroup> StartAsync(IRay ray, int worldSize, Func<int, ActorOptions>? options = null)
    {
        var id = "test-" + Guid.NewGuid().ToString("N");
        var peers = Enumerable.Range(0, worldSize)
            .Select(r => ray.Actor(() => new CollectivePeer(id, r, worldSize)).Options(options?.Invoke(r) ?? CollectivePeer.Options()).Remote())
            .ToArray();
        await ray.GetAsync(peers.Select(p => p.Task((x, all) => x.Connect(all), peers).Remote()));
        return new PeerGroup(ray, id, peers);
    }

    /// <summary>Starts one call per rank (all before awaiting any) and returns their results in rank order.</summary>
    public Task<T[]> AllAsync<T>(Func<int, ObjectRef<T>> call) =>
        _ray.GetAsync(Enumerable.Range(0, Peers.Length).Select(call).ToArray());

    public async ValueTask DisposeAsync()
    {
        foreach (var peer in Peers)
        {
            await _ray.KillAsync(peer);
        }

        CollectiveInbox.Drop(Id);
    }
}
