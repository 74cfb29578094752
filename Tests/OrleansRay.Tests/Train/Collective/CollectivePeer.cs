using System.Buffers;
using System.Collections.Concurrent;
using System.Numerics.Tensors;
using OrleansRay.Train.Collective;

namespace OrleansRay.Tests.Training.Collective;

/// <summary>A test rank: an actor that hosts its rank's inbox in the "collective" concurrency group and reaches its
/// peers by calling their <see cref="Deliver"/> — the way the trainer's worker actor does.</summary>
public sealed class CollectivePeer
{
    /// <summary>Bounds every collective the tests run, so a defect fails a test instead of hanging it.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    /// <summary>Per group: how many ranks have entered the barrier (the peers of a test share this process).</summary>
    private static readonly ConcurrentDictionary<string, int> Arrived = new();

    private readonly string _group;
    private readonly int _rank;
    private readonly int _worldSize;
    private readonly CancellationTokenSource _cancel = new();
    private Communicator? _communicator;

    public CollectivePeer(string group, int rank, int worldSize)
    {
        _group = group;
        _rank = rank;
        _worldSize = worldSize;
    }

    /// <summary>The options every test peer is created with: no CPU, and the inbox's own group (plus "control").</summary>
    public static ActorOptions Options() => new() { NumCpus = 0, ConcurrencyGroups = { ["collective"] = 4, ["control"] = 1 } };

    public static int ArrivedAt(string group) => Arrived.GetValueOrDefault(group);

    public int Connect(ActorHandle<CollectivePeer>[] peers)
    {
        _communicator = new Communicator(Ray.Current, _group, _rank, _worldSize, new PeerTransport(Ray.Current, peers));
        return _rank;
    }

    [ConcurrencyGroup("collective")]
    public bool Deliver(CollectiveMessage message)
    {
        CollectiveInbox.Deliver(message);
        return true;
    }

    [ConcurrencyGroup("control")]
    public bool Cancel()
    {
        _cancel.Cancel();
        return true;
    }

    [ConcurrencyGroup("control")]
    public string Node() => RayContext.NodeId.Value;

    /// <summary>Messages this rank sent inline and by object-store reference.</summary>
    [ConcurrencyGroup("control")]
    public long[] Sent() => new[] { Communicator.Sent.Inline, Communicator.Sent.ByRef };

    public Task<float[]> AllReduceFloats(float[] values, ReduceOp op) => WithDeadline(t => Communicator.AllReduceAsync(values, op, t));

    public Task<double[]> AllReduceDoubles(double[] values, ReduceOp op) => WithDeadline(t => Communicator.AllReduceAsync(values, op, t));

    /// <summary>Whether the allreduce returned the very array it was given, holding the sum.</summary>
    public async Task<bool> AllReducesInPlace(double[] values)
    {
        var sum = (double[])values.Clone();
        var result = await WithDeadline(t => Communicator.AllReduceAsync(values, ReduceOp.Sum, t));
        return ReferenceEquals(result, values) && (_worldSize > 1 ? !sum.SequenceEqual(values) : sum.SequenceEqual(values));
    }

    /// <summary>An allreduce that only <see cref="Cancel"/> (or the deadline) ends when a peer never joins.</summary>
    public async Task<float[]> AllReduceUntilCancelled(float[] values)
    {
        using var both = CancellationTokenSource.CreateLinkedTokenSource(_cancel.Token);
        both.CancelAfter(Deadline);
        return await Communicator.AllReduceAsync(values, ReduceOp.Sum, both.Token);
    }

    /// <summary>Allreduces a float tensor of <paramref name="lengths"/> over <paramref name="values"/> (row-major; with
    /// <paramref name="dropFirstColumn"/>, the view without its first column, which is not dense).</summary>
    public async Task<ReducedTensor> AllReduceFloatTensor(float[] values, long[] lengths, ReduceOp op, bool dropFirstColumn)
    {
        var tensor = Tensor.Create(values, lengths.Select(l => (nint)l).ToArray());
        if (dropFirstColumn)
        {
            tensor = tensor[new NRange[] { .., 1.. }];
        }

        var result = await WithDeadline(t => Communicator.AllReduceAsync(tensor, op, t));
        return new ReducedTensor(
            Flat(result).Select(v => (double)v).ToArray(), Lengths(result), ReferenceEquals(result, tensor), values.AsSpan().SequenceEqual(Flat(result)));
    }

    /// <summary>Allreduces a double tensor of <paramref name="lengths"/> over <paramref name="values"/> (row-major).</summary>
    public async Task<ReducedTensor> AllReduceDoubleTensor(double[] values, long[] lengths, ReduceOp op)
    {
        var tensor = Tensor.Create(values, lengths.Select(l => (nint)l).ToArray());
        var result = await WithDeadline(t => Communicator.AllReduceAsync(tensor, op, t));
        return new ReducedTensor(Flat(result), Lengths(result), ReferenceEquals(result, tensor), values.AsSpan().SequenceEqual(Flat(result)));
    }

    private static T[] Flat<T>(Tensor<T> tensor)
    {
        var flat = new T[tensor.FlattenedLength];
        tensor.FlattenTo(flat);
        return flat;
    }

    private static long[] Lengths<T>(Tensor<T> tensor) => tensor.Lengths.ToArray().Select(l => (long)l).ToArray();

    public Task<string> BroadcastString(string value, int root) => WithDeadline(t => Communicator.BroadcastAsync(value, root, t));

    public Task<double[]> BroadcastDoubles(double[] value, int root) => WithDeadline(t => Communicator.BroadcastAsync(value, root, t));

    /// <summary>Counts itself in, passes the barrier, and returns how many ranks had arrived when it passed.</summary>
    public async Task<int> Barrier()
    {
        Arrived.AddOrUpdate(_group, 1, (_, n) => n + 1);
        await WithDeadline(async t =>
        {
            await Communicator.BarrierAsync(t);
            return true;
        });
        return Arrived[_group];
    }

    /// <summary>Runs several collectives back to back, two of them in flight at once; returns every result in order
    /// (element 0 of each), which depends on the rank only through the values reduced.</summary>
    public async Task<double[]> Sequence(int rounds)
    {
        var seen = new List<double>();
        using var deadline = new CancellationTokenSource(Deadline);
        for (var k = 0; k < rounds; k++)
        {
            var sum = await Communicator.AllReduceAsync(new[] { (double)(_rank + 1) * (k + 1), 1 }, ReduceOp.Sum, deadline.Token);
            var max = await Communicator.AllReduceAsync(new float[] { _rank * 100 + k }, ReduceOp.Max, deadline.Token);
            var root = k % _worldSize;
            var told = await Communicator.BroadcastAsync(_rank == root ? 1000.0 * k + root : -1, root, deadline.Token);
            var first = Communicator.AllReduceAsync(new[] { (double)k }, ReduceOp.Min, deadline.Token);
            var second = Communicator.AllReduceAsync(new[] { (double)_rank }, ReduceOp.Sum, deadline.Token);
            seen.AddRange(new[] { sum[0], max[0], told, (await first)[0], (await second)[0] });
        }

        return seen.ToArray();
    }

    private Communicator Communicator => _communicator ?? throw new InvalidOperationException("Connect first.");

    private static async Task<T> WithDeadline<T>(Func<CancellationToken, Task<T>> collective)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        return await collective(deadline.Token);
    }

    private sealed class PeerTransport(IRay ray, ActorHandle<CollectivePeer>[] peers) : ICollectiveTransport
    {
        public async Task SendAsync(int toRank, CollectiveMessage message, CancellationToken cancellationToken)
        {
            var delivered = peers[toRank].Task((p, m) => p.Deliver(m), message).Remote();
            await ray.GetAsync(delivered, cancellationToken);
        }
    }
}

/// <summary>What a rank's tensor holds after an allreduce: its elements in row-major order, its lengths, whether the
/// call returned the tensor it was given, and whether the array the tensor was made over holds the result (in place).</summary>
[GenerateSerializer, Immutable]
public sealed record ReducedTensor(
    [property: Id(0)] double[] Values,
    [property: Id(1)] long[] Lengths,
    [property: Id(2)] bool SameTensor,
    [property: Id(3)] bool WrittenInPlace);
