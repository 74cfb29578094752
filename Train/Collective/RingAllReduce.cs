using System.Numerics;

namespace OrleansRay.Train.Collective;

/// <summary>Ring allreduce (as in Baidu's ring allreduce, Horovod and NCCL): the buffer is cut into one chunk per rank;
/// in N-1 reduce-scatter steps each rank sends one chunk to its right neighbour and adds the chunk from its left, after
/// which each rank owns one fully reduced chunk; in N-1 all-gather steps the reduced chunks travel once around the ring.
/// Each rank sends and receives 2(N-1)/N of the buffer, whatever N. A large buffer is also cut into lanes, rings run side
/// by side, so one lane's transfer overlaps another's arithmetic.</summary>
/// <remarks>Every element is reduced once, by one rank, in ring order, and then copied: all ranks end with the same bits.</remarks>
internal static class RingAllReduce
{
    /// <summary>The size of one lane's chunk a large buffer is cut to (per rank), so transfers pipeline.</summary>
    internal const int LaneChunkBytes = 4 << 20;

    /// <summary>The most lanes one allreduce runs side by side.</summary>
    internal const int MaxLanes = 8;

    public static async Task<T[]> RunAsync<T>(RankLink link, long sequence, T[] values, ReduceOp op, CancellationToken cancellationToken)
        where T : unmanaged, INumber<T>
    {
        var result = (T[])values.Clone();
        var n = link.WorldSize;
        if (n == 1)
        {
            return result;
        }

        var bytes = (long)values.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        var lanes = (int)Math.Clamp(bytes / ((long)n * LaneChunkBytes), 1, MaxLanes);
        var tasks = new Task[lanes];
        for (var lane = 0; lane < lanes; lane++)
        {
            var start = Bound(values.Length, lane, lanes);
            var end = Bound(values.Length, lane + 1, lanes);
            tasks[lane] = LaneAsync(link, sequence, lane, new Memory<T>(result, start, end - start), values.Length, op, cancellationToken);
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        return result;
    }

    private static async Task LaneAsync<T>(RankLink link, long sequence, int lane, Memory<T> buffer, int length, ReduceOp op, CancellationToken cancellationToken)
        where T : unmanaged, INumber<T>
    {
        var n = link.WorldSize;
        var rank = link.Rank;
        var right = (rank + 1) % n;
        var left = (rank + n - 1) % n;
        var stepBase = lane * 2 * n;
        Memory<T> Chunk(int c) => buffer[Bound(buffer.Length, c, n)..Bound(buffer.Length, c + 1, n)];

        // Reduce-scatter: after step s, this rank's chunk (rank - s - 1) holds the reduction of s + 2 ranks.
        for (var s = 0; s < n - 1; s++)
        {
            var sendChunk = Chunk(Mod(rank - s, n));
            var receiveChunk = Chunk(Mod(rank - s - 1, n));
            var send = link.SendChunkAsync<T>(right, sequence, stepBase + s, sendChunk, length, cancellationToken);
            await link.ReceiveChunkAsync<T>(left, sequence, stepBase + s, length, incoming => Reduction.Combine(receiveChunk.Span, incoming, op), cancellationToken).ConfigureAwait(false);
            await send.ConfigureAwait(false);
        }

        var owned = Chunk(Mod(rank + 1, n));
        if (op == ReduceOp.Mean)
        {
            Reduction.Divide(owned.Span, n);
        }

        // All-gather: the reduced chunks go once around the ring.
        for (var s = 0; s < n - 1; s++)
        {
            var sendChunk = Chunk(Mod(rank + 1 - s, n));
            var receiveChunk = Chunk(Mod(rank - s, n));
            var step = stepBase + n + s;
            var send = link.SendChunkAsync<T>(right, sequence, step, sendChunk, length, cancellationToken);
            await link.ReceiveChunkAsync<T>(left, sequence, step, length, incoming => incoming.CopyTo(receiveChunk.Span), cancellationToken).ConfigureAwait(false);
            await send.ConfigureAwait(false);
        }
    }

    /// <summary>The start of part <paramref name="index"/> of <paramref name="parts"/> of a range of
    /// <paramref name="length"/> (parts differ by at most one element; some are empty when length &lt; parts).</summary>
    private static int Bound(int length, int index, int parts) => (int)((long)length * index / parts);

    private static int Mod(int value, int n) => ((value % n) + n) % n;
}
