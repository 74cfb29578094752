using System.Numerics;
using System.Numerics.Tensors;

namespace OrleansRay.Train.Collective;

/// <summary>One rank's view of its collective group (Ray's <c>ray.util.collective</c> group, torch.distributed's
/// process group): allreduce, broadcast and barrier between the group's ranks, by messages sent through an
/// <see cref="ICollectiveTransport"/> (the peer worker actors' inbox methods) and received from this process's
/// <see cref="CollectiveInbox"/>. No coordinator takes part: ranks talk to ranks, and large payloads move through the
/// object store (see <see cref="RankLink"/>).</summary>
/// <remarks>
/// <para>Every rank of a group must call the same collectives in the same order (as with NCCL or Gloo): the n-th
/// collective of each rank is matched with the n-th of the others, so consecutive collectives never mix, and several
/// may be in flight at once when every rank starts them in the same order.</para>
/// <para>What bounds a wait: a collective waits for its peers' messages until (1) they arrive, (2) a peer aborts it — a
/// rank whose send fails (the peer actor died: <c>ActorDiedException</c>), whose input is refused, or whose token is
/// cancelled tells every other rank, which then fail with <see cref="CollectiveAbortedException"/> —, (3)
/// <see cref="CollectiveInbox.Drop"/> ends the group, or (4) the caller's cancellation token is cancelled. In a ring
/// every rank sends to its right neighbour at every step, so a dead rank is seen by its left neighbour's next send; a
/// rank that dies after its last send of a collective can leave its right neighbour waiting, which only (3) or (4)
/// end: the trainer cancels every rank's token when one worker fails.</para>
/// <para>After a failed collective the group stays failed (as an NCCL communicator): use a new group.</para>
/// </remarks>
internal sealed class Communicator
{
    private readonly RankLink _link;
    private long _sequence;

    /// <summary>Creates rank <paramref name="rank"/>'s communicator of group <paramref name="groupId"/>.</summary>
    /// <param name="ray">This node's IRay (inside an actor: <c>Ray.Current</c>): large payloads are put in and read from its store.</param>
    /// <param name="groupId">The group's id, the same on every rank and unique per group (e.g. per training attempt).</param>
    /// <param name="rank">This rank, in [0, <paramref name="worldSize"/>).</param>
    /// <param name="worldSize">The number of ranks, at least 1.</param>
    /// <param name="transport">How this rank reaches the others.</param>
    /// <exception cref="ArgumentException">The group id is blank.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="worldSize"/> is below 1 or <paramref name="rank"/> is
    /// not in [0, worldSize).</exception>
    public Communicator(IRay ray, string groupId, int rank, int worldSize, ICollectiveTransport transport)
    {
        ArgumentNullException.ThrowIfNull(ray);
        ArgumentException.ThrowIfNullOrWhiteSpace(groupId);
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentOutOfRangeException.ThrowIfLessThan(worldSize, 1);
        if (rank < 0 || rank >= worldSize)
        {
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"rank must be in [0, {worldSize}) for a world of {worldSize}.");
        }

        _link = new RankLink(ray, groupId, rank, worldSize, transport);
    }

    /// <summary>The group's id.</summary>
    public string GroupId => _link.GroupId;

    /// <summary>This rank (0-based).</summary>
    public int Rank => _link.Rank;

    /// <summary>The number of ranks in the group.</summary>
    public int WorldSize => _link.WorldSize;

    /// <summary>Messages this rank sent with the payload inline, and by object-store reference.</summary>
    internal (long Inline, long ByRef) Sent => _link.Sent;

    /// <summary>Combines <paramref name="values"/> of every rank element by element with <paramref name="op"/> (a ring
    /// allreduce, see <see cref="RingAllReduce"/>); every rank gets the same result, bit for bit. IN PLACE, as
    /// torch.distributed's <c>all_reduce</c> and Ray's <c>collective.allreduce</c>: the result is written into
    /// <paramref name="values"/>, and the same array is returned. Do not touch the array until the task completes.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="values"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="op"/> is not a <see cref="ReduceOp"/>.</exception>
    /// <exception cref="ArgumentException">A neighbour passed a buffer of another length (the message names both ranks
    /// and lengths); the ranks that do not see the mismatch themselves fail with
    /// <see cref="CollectiveAbortedException"/> carrying the same message.</exception>
    /// <exception cref="CollectiveAbortedException">Another rank aborted this collective (see the remarks of the class).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<float[]> AllReduceAsync(float[] values, ReduceOp op, CancellationToken cancellationToken) =>
        AllReduceCoreAsync(values, op, cancellationToken);

    /// <inheritdoc cref="AllReduceAsync(float[], ReduceOp, CancellationToken)"/>
    public Task<double[]> AllReduceAsync(double[] values, ReduceOp op, CancellationToken cancellationToken) =>
        AllReduceCoreAsync(values, op, cancellationToken);

    /// <summary>Combines the tensor <paramref name="values"/> of every rank element by element with <paramref name="op"/>,
    /// as <see cref="AllReduceAsync(float[], ReduceOp, CancellationToken)"/> does an array (the same ring, the same
    /// bits on every rank). IN PLACE, as torch.distributed's <c>all_reduce</c> of a tensor: the result is written into
    /// the tensor's own memory — a dense tensor's elements are reduced where they are, with no copy of the whole
    /// tensor — and the same tensor is returned, its shape unchanged. Do not touch the tensor until the task completes.</summary>
    /// <remarks>Every rank must pass a tensor of the same shape (lengths, dimension by dimension): each message of the
    /// ring carries its sender's, so a 2×3 tensor against a 3×2 one (as many elements) is refused as arrays of different
    /// lengths are. The tensor must be dense (<see cref="Tensor{T}.IsDense"/>: its elements one contiguous row-major run,
    /// as torch's NCCL and Gloo backends need a contiguous tensor); an empty tensor of any shape is allowed.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="values"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="op"/> is not a <see cref="ReduceOp"/>.</exception>
    /// <exception cref="ArgumentException">The tensor is not dense (a slice of columns, a transposed or a broadcast
    /// view: the message says to reduce <c>ToDenseTensor()</c> and copy back), or a neighbour passed a tensor of another
    /// shape, or an array (the message names both ranks and shapes). The other ranks fail with
    /// <see cref="CollectiveAbortedException"/> carrying the same message.</exception>
    /// <exception cref="CollectiveAbortedException">Another rank aborted this collective (see the remarks of the class).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<Tensor<float>> AllReduceAsync(Tensor<float> values, ReduceOp op, CancellationToken cancellationToken) =>
        AllReduceTensorAsync(values, op, cancellationToken);

    /// <inheritdoc cref="AllReduceAsync(Tensor{float}, ReduceOp, CancellationToken)"/>
    public Task<Tensor<double>> AllReduceAsync(Tensor<double> values, ReduceOp op, CancellationToken cancellationToken) =>
        AllReduceTensorAsync(values, op, cancellationToken);

    /// <summary>Rank <paramref name="root"/>'s <paramref name="value"/> on every rank (the others' values are ignored).
    /// A small value travels inside the messages; a larger one is put once in the root's object store and every other
    /// rank reads it from there.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="root"/> is not a rank of the group.</exception>
    /// <exception cref="CollectiveAbortedException">Another rank aborted this collective.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<T> BroadcastAsync<T>(T value, int root, CancellationToken cancellationToken)
    {
        if (root < 0 || root >= WorldSize)
        {
            throw new ArgumentOutOfRangeException(nameof(root), root, $"root must be a rank in [0, {WorldSize}).");
        }

        return RunAsync(async sequence =>
        {
            if (Rank != root)
            {
                return await _link.ReceiveValueAsync<T>(root, sequence, 0, cancellationToken).ConfigureAwait(false);
            }

            var sends = Enumerable.Range(0, WorldSize).Where(r => r != root).Select(to => _link.SendValueAsync(to, sequence, 0, value, cancellationToken));
            await Task.WhenAll(sends).ConfigureAwait(false);
            return value;
        });
    }

    /// <summary>Returns once every rank of the group has called it (a dissemination barrier: ceil(log2 N) rounds of one
    /// message per rank).</summary>
    /// <exception cref="CollectiveAbortedException">Another rank aborted this collective.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task BarrierAsync(CancellationToken cancellationToken) =>
        RunAsync(async sequence =>
        {
            // Round k: signal rank + 2^k, wait for rank - 2^k. After round k a rank has heard, directly or not, from the
            // 2^(k+1) - 1 ranks before it; after ceil(log2 N) rounds from all.
            for (int k = 0, distance = 1; distance < WorldSize; k++, distance *= 2)
            {
                var send = _link.SendSignalAsync((Rank + distance) % WorldSize, sequence, k, cancellationToken);
                await _link.ReceiveAsync((Rank - distance + WorldSize) % WorldSize, sequence, k, cancellationToken).ConfigureAwait(false);
                await send.ConfigureAwait(false);
            }

            return true;
        });

    private Task<T[]> AllReduceCoreAsync<T>(T[] values, ReduceOp op, CancellationToken cancellationToken)
        where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(values);
        CheckOp(op);
        return RunAsync(async sequence =>
        {
            await RingAllReduce.RunAsync(_link, sequence, values.AsMemory(), BufferShape.Array(values.Length), op, cancellationToken).ConfigureAwait(false);
            return values;
        });
    }

    private Task<Tensor<T>> AllReduceTensorAsync<T>(Tensor<T> values, ReduceOp op, CancellationToken cancellationToken)
        where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(values);
        CheckOp(op);

        // The density check runs as part of the collective: a rank that refuses its tensor aborts the others' waits.
        return RunAsync(async sequence =>
        {
            var (memory, shape) = DenseTensorMemory<T>.Of(values);
            await RingAllReduce.RunAsync(_link, sequence, memory, shape, op, cancellationToken).ConfigureAwait(false);
            return values;
        });
    }

    private static void CheckOp(ReduceOp op)
    {
        if (!Enum.IsDefined(op))
        {
            throw new ArgumentOutOfRangeException(nameof(op), op, "op must be ReduceOp.Sum, Mean, Max or Min.");
        }
    }

    /// <summary>Runs the next collective of this rank; when it fails here (not because a peer aborted it), tells every
    /// other rank, so none of them waits for a message this rank will never send.</summary>
    private async Task<T> RunAsync<T>(Func<long, Task<T>> body)
    {
        var sequence = Interlocked.Increment(ref _sequence);
        try
        {
            return await body(sequence).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not CollectiveAbortedException)
        {
            _link.AbortOthers(sequence, e is OperationCanceledException ? $"rank {Rank}'s collective was cancelled" : e.Message);
            throw;
        }
    }
}
