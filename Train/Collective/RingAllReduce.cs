using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace OrleansRay.Train.Collective;

/// <summary>Ring allreduce (as in Baidu's ring allreduce, Horovod and NCCL): the buffer is cut into one chunk per rank;
/// in N-1 reduce-scatter steps each rank sends one partial chunk to its right neighbour and adds its own values to the
/// partial chunk from its left, after which each rank owns one fully reduced chunk; in N-1 all-gather steps the reduced
/// chunks travel once around the ring. Each rank sends and receives 2(N-1)/N of the buffer, whatever N. A large buffer
/// is also cut into lanes whose rings run side by side, so one lane's transfer overlaps another's arithmetic.</summary>
/// <remarks>
/// <para>Memory passes are few (19 chunk passes per rank for N = 4; ADR 0018, "Copies"): a partial sum is computed
/// straight into the store's memory (a put with a fill, no temporary array); the first chunk and the reduced chunk are
/// put from the buffer itself; the last reduce-scatter step adds in place; a reduced chunk is put in the store once, by
/// its owner, and the all-gather forwards the same object reference around the ring (each rank reads it from its node's
/// store — zero-copy on one node — and copies it into its buffer). The buffer is reduced in place, as
/// torch.distributed's and Ray's allreduce do.</para>
/// <para>Every element is reduced once, by one rank, in ring order, then copied: all ranks end with the same bits.</para>
/// </remarks>
internal static class RingAllReduce
{
    /// <summary>A large buffer's lanes hold chunks of about this size (per rank), so transfers pipeline.</summary>
    internal const int LaneChunkBytes = 2 << 20;

    /// <summary>The most lanes one allreduce runs side by side.</summary>
    internal const int MaxLanes = 8;

    /// <summary>Reduces <paramref name="values"/> in place with every rank's (of the same <paramref name="shape"/>, which
    /// each message carries and each receiver checks).</summary>
    /// <param name="link">This rank's link to the others.</param>
    /// <param name="sequence">The collective's number (the n-th of this rank).</param>
    /// <param name="values">The buffer: an array's memory, or a dense tensor's (see <see cref="DenseTensorMemory{T}"/>).</param>
    /// <param name="shape">What every rank's buffer must be: <c>values.Length</c> elements, and a tensor's lengths.</param>
    /// <param name="op">The reduction.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    public static async Task RunAsync<T>(RankLink link, long sequence, Memory<T> values, BufferShape shape, ReduceOp op, CancellationToken cancellationToken)
        where T : unmanaged, INumber<T>
    {
        var n = link.WorldSize;
        if (n == 1)
        {
            return; // the reduction of one rank is its values (Mean divides by 1)
        }

        var bytes = (long)values.Length * Unsafe.SizeOf<T>();
        var lanes = (int)Math.Clamp(bytes / ((long)n * LaneChunkBytes), 1, MaxLanes);
        var tasks = new Task[lanes];
        for (var lane = 0; lane < lanes; lane++)
        {
            var start = Bound(values.Length, lane, lanes);
            var end = Bound(values.Length, lane + 1, lanes);
            var ring = new Lane<T>(link, sequence, lane * 2 * n, shape, op, values[start..end]);
            tasks[lane] = ring.RunAsync(cancellationToken);
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    /// <summary>The start of part <paramref name="index"/> of <paramref name="parts"/> of a range of
    /// <paramref name="length"/> (parts differ by at most one element; some are empty when length &lt; parts).</summary>
    private static int Bound(int length, int index, int parts) => (int)((long)length * index / parts);

    private static int Mod(int value, int n) => ((value % n) + n) % n;

    /// <summary>One lane's ring: its slice of the buffer, cut into one chunk per rank, reduced in place.</summary>
    /// <remarks>In place is safe: this rank's values of a chunk are read once — by the put that sends its partial sum
    /// (chunk rank at step 0; the put may finish after the next receive, so the lane waits for all of them before the
    /// all-gather) or by the last step's add —, and every chunk is written only after that: the owned chunk by that add,
    /// which no put reads, the others during the all-gather.</remarks>
    private sealed class Lane<T>(RankLink link, long sequence, int stepBase, BufferShape shape, ReduceOp op, Memory<T> buffer)
        where T : unmanaged, INumber<T>
    {
        private readonly int _n = link.WorldSize;
        private readonly int _rank = link.Rank;

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            var right = (_rank + 1) % _n;
            var left = (_rank + _n - 1) % _n;

            // A step's send is awaited at the next step (or at the end), not before its receive: the reply to a delivery
            // is then off the critical path. A send that fails (the peer died) cancels this lane's receive at once,
            // which then throws the send's exception.
            Task pending = Task.CompletedTask;
            CollectiveMessage? pendingForward = null;
            using var failure = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            Task? failed = null;
            var staged = new List<Task>(_n - 1); // the reduce-scatter's puts: each one's fill reads this lane's buffer
            Task Watch(Task send)
            {
                _ = send.ContinueWith(
                    t =>
                    {
                        _ = t.Exception; // observed: the first failure is rethrown below, later ones add nothing
                        Interlocked.CompareExchange(ref failed, t, null);
                        try
                        {
                            failure.Cancel();
                        }
                        catch (ObjectDisposedException)
                        {
                            // The lane has ended: nothing waits any more.
                        }
                    },
                    CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                return send;
            }

            try
            {
                // Reduce-scatter: at step s this rank sends the partial sum of chunk (rank - s) and receives that of
                // chunk (rank - s - 1), to which it adds its own values; after N-1 steps chunk (rank + 1) is reduced here.
                // Each partial sum is written straight into the store's memory (the put's fill), from the received view
                // and this rank's values: no temporary array. The last one is added in place into the buffer.
                var own = Range(_rank);
                var (stored, sent) = link.SendFilled(right, sequence, stepBase, own.End.Value - own.Start.Value, (ReadOnlyMemory<T>)buffer[own], CopyFill, null, shape, failure.Token);
                staged.Add(stored);
                pending = Watch(sent);
                for (var s = 0; s < _n - 1; s++)
                {
                    var chunk = Range(Mod(_rank - s - 1, _n));
                    var received = await link.ReceiveViewAsync<T>(left, sequence, stepBase + s, shape, failure.Token).ConfigureAwait(false);
                    Task next;
                    if (s < _n - 2)
                    {
                        // The view is released once the partial sum is written (by the send).
                        (stored, next) = link.SendFilled(right, sequence, stepBase + s + 1, chunk.End.Value - chunk.Start.Value,
                            ((ReadOnlyMemory<T>)buffer[chunk], received.Values, op), CombineFill, received, shape, failure.Token);
                        staged.Add(stored);
                        next = Watch(next);
                    }
                    else
                    {
                        using (received)
                        {
                            var mine = buffer.Span[chunk];
                            Reduction.Combine(mine, received.Values.Span, mine, op);
                            if (op == ReduceOp.Mean)
                            {
                                Reduction.Divide(mine, _n);
                            }
                        }

                        next = Task.CompletedTask;
                    }

                    await pending.ConfigureAwait(false);
                    pending = next;
                }

                // The all-gather writes the buffer's other chunks: the partial sums read from them must be written first.
                await Task.WhenAll(staged).ConfigureAwait(false);

                // All-gather: the owner puts its reduced chunk once (from its buffer, no temporary array); each rank
                // copies what comes from its left and forwards the same message (the same object-store reference) to
                // its right.
                var owned = Range(Mod(_rank + 1, _n));
                CollectiveMessage? forward = null;
                for (var s = 0; s < _n - 1; s++)
                {
                    var step = stepBase + _n + s;
                    var send = Watch(forward is null
                        ? link.SendFilled(right, sequence, step, owned.End.Value - owned.Start.Value, (ReadOnlyMemory<T>)buffer[owned], CopyFill, null, shape, cancellationToken).Sent
                        : link.ForwardAsync(right, sequence, step, forward, cancellationToken));
                    var chunk = Range(Mod(_rank - s, _n));
                    var received = await link.ReceiveChunkAsync<T>(left, sequence, step, shape, incoming => incoming.CopyTo(buffer.Span[chunk]), failure.Token).ConfigureAwait(false);
                    await pending.ConfigureAwait(false);
                    pendingForward?.Ref?.Dispose();
                    (pending, pendingForward, forward) = (send, forward, received);
                }

                await pending.ConfigureAwait(false);
                forward?.Ref?.Dispose(); // the last chunk received is this rank's right neighbour's own: not forwarded
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && Volatile.Read(ref failed) is { } send)
            {
                await send.ConfigureAwait(false); // throws why the send failed
                throw;
            }
            finally
            {
                if (staged.Exists(static t => !t.IsCompleted))
                {
                    // Failed or cancelled mid reduce-scatter: a put still waiting for room would run its fill on the
                    // caller's buffer after AllReduce returned, then send. Stop them and wait until none can touch it.
                    await failure.CancelAsync().ConfigureAwait(false);
                    try
                    {
                        await Task.WhenAll(staged).ConfigureAwait(false);
                    }
                    catch (Exception)
                    {
                        // Their failures are this lane's failure (or its consequence), reported by the exception in flight.
                    }
                }

                if (!pending.IsCompleted)
                {
                    _ = pending.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default); // failed already elsewhere
                }

                pendingForward?.Ref?.Dispose();
            }
        }

        /// <summary>Writes a copy of the state into the payload.</summary>
        private static readonly SpanAction<T, ReadOnlyMemory<T>> CopyFill = static (into, values) => values.Span.CopyTo(into);

        /// <summary>Writes op(mine, theirs) into the payload: a partial sum, straight into the store's memory.</summary>
        private static readonly SpanAction<T, (ReadOnlyMemory<T> Mine, ReadOnlyMemory<T> Theirs, ReduceOp Op)> CombineFill =
            static (into, state) => Reduction.Combine(state.Mine.Span, state.Theirs.Span, into, state.Op);

        private Range Range(int chunk) => Bound(buffer.Length, chunk, _n)..Bound(buffer.Length, chunk + 1, _n);
    }
}
