using OrleansRay.Train.Collective;

namespace OrleansRay.Bench.Training;

/// <summary>One rank of the allreduce benchmark: an actor that holds its buffer, hosts its rank's inbox in the
/// "collective" concurrency group and reaches its peers through their inbox method — as the trainer's worker does.</summary>
public sealed class AllReducePeer
{
    private readonly string _group;
    private readonly int _rank;
    private readonly int _worldSize;
    private Communicator? _communicator;
    private float[] _buffer = [];

    public AllReducePeer(string group, int rank, int worldSize)
    {
        _group = group;
        _rank = rank;
        _worldSize = worldSize;
    }

    public static ActorOptions Options() => new() { NumCpus = 0, ConcurrencyGroups = { ["collective"] = 4 } };

    /// <summary>Connects to the peers and fills a buffer of <paramref name="length"/> floats with rank + 1.</summary>
    public int Connect(ActorHandle<AllReducePeer>[] peers, int length)
    {
        _communicator = new Communicator(Ray.Current, _group, _rank, _worldSize, new PeerTransport(Ray.Current, peers));
        _buffer = new float[length];
        _buffer.AsSpan().Fill(_rank + 1);
        return _rank;
    }

    /// <summary>Fills the buffer with rank + 1 again (the allreduce sums in place).</summary>
    public int Reset()
    {
        _buffer.AsSpan().Fill(_rank + 1);
        return _rank;
    }

    [ConcurrencyGroup("collective")]
    public bool Deliver(CollectiveMessage message)
    {
        CollectiveInbox.Deliver(message);
        return true;
    }

    /// <summary>One allreduce (sum) of the buffer; returns the result's first, middle and last elements (checked by the
    /// benchmark: the sum of 1..N everywhere).</summary>
    public async Task<float[]> AllReduce()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var result = await _communicator!.AllReduceAsync(_buffer, ReduceOp.Sum, deadline.Token);
        return new[] { result[0], result[result.Length / 2], result[^1] };
    }

    private sealed class PeerTransport(IRay ray, ActorHandle<AllReducePeer>[] peers) : ICollectiveTransport
    {
        public async Task SendAsync(int toRank, CollectiveMessage message, CancellationToken cancellationToken) =>
            await ray.GetAsync(peers[toRank].Task((p, m) => p.Deliver(m), message).Remote(), cancellationToken);
    }
}
