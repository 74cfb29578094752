using OrleansRay.Train.Collective;

namespace OrleansRay.Tests.Training.Collective;

/// <summary>A test rank: an actor that hosts its rank's inbox in the "collective" concurrency group and reaches its
/// peers by calling their <see cref="Deliver"/> — the way the trainer's worker actor does.</summary>
public sealed class CollectivePeer
{
    /// <summary>Bounds every collective the tests run, so a defect fails a test instead of hanging it.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly string _group;
    private readonly int _rank;
    private readonly int _worldSize;
    private Communicator? _communicator;

    public CollectivePeer(string group, int rank, int worldSize)
    {
        _group = group;
        _rank = rank;
        _worldSize = worldSize;
    }

    /// <summary>The options every test peer is created with: no CPU, and the inbox's own group.</summary>
    public static ActorOptions Options() => new() { NumCpus = 0, ConcurrencyGroups = { ["collective"] = 4 } };

    public int Connect(ActorHandle<CollectivePeer>[] peers)
    {
        _communicator = new Communicator(Ray.Current, _group, _rank, _worldSize, new PeerTransport(peers));
        return _rank;
    }

    [ConcurrencyGroup("collective")]
    public bool Deliver(CollectiveMessage message)
    {
        CollectiveInbox.Deliver(message);
        return true;
    }

    public async Task<float[]> AllReduceFloats(float[] values, ReduceOp op)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        return await Communicator.AllReduceAsync(values, op, deadline.Token);
    }

    public async Task<double[]> AllReduceDoubles(double[] values, ReduceOp op)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        return await Communicator.AllReduceAsync(values, op, deadline.Token);
    }

    public async Task<string> Broadcast(string value, int root)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        return await Communicator.BroadcastAsync(value, root, deadline.Token);
    }

    public async Task<int> Barrier()
    {
        using var deadline = new CancellationTokenSource(Deadline);
        await Communicator.BarrierAsync(deadline.Token);
        return _rank;
    }

    private Communicator Communicator => _communicator ?? throw new InvalidOperationException("Connect first.");

    private sealed class PeerTransport(ActorHandle<CollectivePeer>[] peers) : ICollectiveTransport
    {
        public async Task SendAsync(int toRank, CollectiveMessage message, CancellationToken cancellationToken)
        {
            var delivered = peers[toRank].Task((p, m) => p.Deliver(m), message).Remote();
            await Ray.Current.GetAsync(delivered, cancellationToken);
        }
    }
}
