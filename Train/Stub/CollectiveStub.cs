// TEMPORARY: the shape of t-coll's Train/Collective types (helper brief, issue 16) so t-core compiles before merging
// branch t-coll; deleted by the merge commit.
using System.Collections.Concurrent;

namespace OrleansRay.Train.Collective;

/// <summary>Reduction.</summary>
public enum ReduceOp
{
    /// <summary>Sum.</summary>
    Sum,
    /// <summary>Mean.</summary>
    Mean,
    /// <summary>Max.</summary>
    Max,
    /// <summary>Min.</summary>
    Min,
}

/// <summary>Message.</summary>
[GenerateSerializer]
public sealed class CollectiveMessage
{
    /// <summary>Group.</summary>
    [Id(0)] public string GroupId { get; init; } = "";
    /// <summary>From.</summary>
    [Id(1)] public int FromRank { get; init; }
    /// <summary>To.</summary>
    [Id(2)] public int ToRank { get; init; }
    /// <summary>Tag.</summary>
    [Id(3)] public string Tag { get; init; } = "";
    /// <summary>Value.</summary>
    [Id(4)] public object? Value { get; init; }
}

internal interface ICollectiveTransport
{
    Task SendAsync(int toRank, CollectiveMessage message, CancellationToken cancellationToken);
}

internal static class CollectiveInbox
{
    private static readonly ConcurrentDictionary<(string, int, int, string), TaskCompletionSource<CollectiveMessage>> Boxes = new();

    private static TaskCompletionSource<CollectiveMessage> Box(string g, int to, int from, string tag) =>
        Boxes.GetOrAdd((g, to, from, tag), _ => new TaskCompletionSource<CollectiveMessage>(TaskCreationOptions.RunContinuationsAsynchronously));

    public static void Deliver(CollectiveMessage message) => Box(message.GroupId, message.ToRank, message.FromRank, message.Tag).TrySetResult(message);

    public static void Drop(string groupId)
    {
        foreach (var key in Boxes.Keys.Where(k => k.Item1 == groupId))
        {
            if (Boxes.TryRemove(key, out var box))
            {
                box.TrySetCanceled();
            }
        }
    }

    internal static async Task<CollectiveMessage> ReceiveAsync(string g, int to, int from, string tag, CancellationToken ct)
    {
        var box = Box(g, to, from, tag);
        var m = await box.Task.WaitAsync(ct);
        Boxes.TryRemove((g, to, from, tag), out _);
        return m;
    }
}

internal sealed class Communicator
{
    private readonly string _groupId;
    private readonly int _rank;
    private readonly int _worldSize;
    private readonly ICollectiveTransport _transport;
    private long _seq;

    public Communicator(IRay ray, string groupId, int rank, int worldSize, ICollectiveTransport transport)
    {
        _ = ray;
        (_groupId, _rank, _worldSize, _transport) = (groupId, rank, worldSize, transport);
    }

    private async Task<object?[]> AllGatherAsync(object? value, CancellationToken ct)
    {
        var tag = (++_seq).ToString(System.Globalization.CultureInfo.InvariantCulture);
        for (var r = 0; r < _worldSize; r++)
        {
            if (r != _rank)
            {
                await _transport.SendAsync(r, new CollectiveMessage { GroupId = _groupId, FromRank = _rank, ToRank = r, Tag = tag, Value = value }, ct);
            }
        }

        var all = new object?[_worldSize];
        for (var r = 0; r < _worldSize; r++)
        {
            all[r] = r == _rank ? value : (await CollectiveInbox.ReceiveAsync(_groupId, _rank, r, tag, ct)).Value;
        }

        return all;
    }

    public async Task<float[]> AllReduceAsync(float[] values, ReduceOp op, CancellationToken cancellationToken)
    {
        var d = await AllReduceAsync(values.Select(v => (double)v).ToArray(), op, cancellationToken);
        return d.Select(v => (float)v).ToArray();
    }

    public async Task<double[]> AllReduceAsync(double[] values, ReduceOp op, CancellationToken cancellationToken)
    {
        var all = (await AllGatherAsync(values, cancellationToken)).Cast<double[]>().ToArray();
        var result = new double[values.Length];
        for (var i = 0; i < result.Length; i++)
        {
            var column = all.Select(a => a[i]).ToArray();
            result[i] = op switch { ReduceOp.Sum => column.Sum(), ReduceOp.Mean => column.Average(), ReduceOp.Max => column.Max(), _ => column.Min() };
        }

        return result;
    }

    public async Task<T> BroadcastAsync<T>(T value, int root, CancellationToken cancellationToken) =>
        (T)(await AllGatherAsync(value, cancellationToken))[root]!;

    public Task BarrierAsync(CancellationToken cancellationToken) => AllGatherAsync(null, cancellationToken);
}
