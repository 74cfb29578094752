using System.Numerics;

namespace OrleansRay.Train.Collective;

/// <summary>One rank's view of its collective group (Ray's <c>ray.util.collective</c> group, torch.distributed's
/// process group): allreduce, broadcast and barrier between the group's ranks, by messages sent through an
/// <see cref="ICollectiveTransport"/> and received from this process's <see cref="CollectiveInbox"/>.</summary>
/// <remarks>Every rank of a group must call the same collectives in the same order (as with NCCL or Gloo): the n-th
/// collective of each rank is matched with the n-th of the others. A wait for a peer is bounded by the cancellation
/// token, by a peer's abort (a rank whose send fails or whose input is refused tells every rank), and by
/// <see cref="CollectiveInbox.Drop"/>; a dead peer is seen as a failed send by the rank that sends to it.</remarks>
internal sealed class Communicator
{
    private readonly IRay _ray;
    private readonly ICollectiveTransport _transport;
    private long _sequence;

    /// <summary>Creates rank <paramref name="rank"/>'s communicator of group <paramref name="groupId"/>.</summary>
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

        _ray = ray;
        GroupId = groupId;
        Rank = rank;
        WorldSize = worldSize;
        _transport = transport;
    }

    /// <summary>The group's id.</summary>
    public string GroupId { get; }

    /// <summary>This rank (0-based).</summary>
    public int Rank { get; }

    /// <summary>The number of ranks in the group.</summary>
    public int WorldSize { get; }

    /// <summary>Combines <paramref name="values"/> of every rank element by element with <paramref name="op"/>; every
    /// rank gets the same result. Returns a NEW array; <paramref name="values"/> is not modified.</summary>
    /// <exception cref="ArgumentException">Another rank passed a buffer of a different length (every rank of the group
    /// fails, each with a message naming both lengths).</exception>
    /// <exception cref="CollectiveAbortedException">Another rank aborted this collective.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<float[]> AllReduceAsync(float[] values, ReduceOp op, CancellationToken cancellationToken) =>
        AllReduceCoreAsync(values, op, cancellationToken);

    /// <inheritdoc cref="AllReduceAsync(float[], ReduceOp, CancellationToken)"/>
    public Task<double[]> AllReduceAsync(double[] values, ReduceOp op, CancellationToken cancellationToken) =>
        AllReduceCoreAsync(values, op, cancellationToken);

    /// <summary>Rank <paramref name="root"/>'s <paramref name="value"/> on every rank (the others' values are
    /// ignored).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="root"/> is not a rank of the group.</exception>
    public async Task<T> BroadcastAsync<T>(T value, int root, CancellationToken cancellationToken)
    {
        if (root < 0 || root >= WorldSize)
        {
            throw new ArgumentOutOfRangeException(nameof(root), root, $"root must be a rank in [0, {WorldSize}).");
        }

        var sequence = Interlocked.Increment(ref _sequence);
        return await Guard(sequence, async () =>
        {
            if (Rank == root)
            {
                await Task.WhenAll(Others().Select(to => SendAsync(to, sequence, 0, value, 0, cancellationToken))).ConfigureAwait(false);
                return value;
            }

            var message = await ReceiveAsync(root, sequence, 0, cancellationToken).ConfigureAwait(false);
            return (T)message.Value!;
        }).ConfigureAwait(false);
    }

    /// <summary>Waits until every rank of the group has called it.</summary>
    public async Task BarrierAsync(CancellationToken cancellationToken)
    {
        var sequence = Interlocked.Increment(ref _sequence);
        await Guard(sequence, async () =>
        {
            await Task.WhenAll(Others().Select(to => SendAsync(to, sequence, 0, null, 0, cancellationToken))).ConfigureAwait(false);
            await Task.WhenAll(Others().Select(from => ReceiveAsync(from, sequence, 0, cancellationToken))).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);
    }

    private async Task<T[]> AllReduceCoreAsync<T>(T[] values, ReduceOp op, CancellationToken cancellationToken)
        where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(values);
        var sequence = Interlocked.Increment(ref _sequence);
        return await Guard(sequence, async () =>
        {
            var sends = Task.WhenAll(Others().Select(to => SendAsync(to, sequence, 0, values, values.Length, cancellationToken)));
            var all = new T[WorldSize][];
            all[Rank] = values;
            foreach (var from in Others())
            {
                var message = await ReceiveAsync(from, sequence, 0, cancellationToken).ConfigureAwait(false);
                CheckLength(message, values.Length);
                all[from] = (T[])message.Value!;
            }

            await sends.ConfigureAwait(false);
            var result = (T[])all[0].Clone();
            for (var r = 1; r < WorldSize; r++)
            {
                Reduction.Combine<T>(result, all[r], op);
            }

            if (op == ReduceOp.Mean)
            {
                Reduction.Divide<T>(result, WorldSize);
            }

            return result;
        }).ConfigureAwait(false);
    }

    private void CheckLength(CollectiveMessage message, int length)
    {
        if (message.Length != length)
        {
            throw new ArgumentException(
                $"AllReduce #{message.Sequence} of group '{GroupId}': rank {Rank} passed {length} elements but rank {message.FromRank} passed {message.Length}; every rank must pass a buffer of the same length.");
        }
    }

    private IEnumerable<int> Others() => Enumerable.Range(0, WorldSize).Where(r => r != Rank);

    private Task SendAsync(int to, long sequence, int step, object? value, int length, CancellationToken cancellationToken) =>
        _transport.SendAsync(to, new CollectiveMessage { GroupId = GroupId, FromRank = Rank, ToRank = to, Sequence = sequence, Step = step, Value = value, Length = length }, cancellationToken);

    private Task<CollectiveMessage> ReceiveAsync(int from, long sequence, int step, CancellationToken cancellationToken) =>
        CollectiveInbox.ReceiveAsync(GroupId, Rank, from, sequence, step, cancellationToken);

    /// <summary>Runs one collective; when it fails here (not because a peer aborted it), tells every other rank, so
    /// none of them waits for a message this rank will never send.</summary>
    private async Task<T> Guard<T>(long sequence, Func<Task<T>> body)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not CollectiveAbortedException)
        {
            AbortOthers(sequence, e is OperationCanceledException ? "cancelled" : e.Message);
            throw;
        }
    }

    private void AbortOthers(long sequence, string reason)
    {
        foreach (var to in Others())
        {
            var abort = new CollectiveMessage { GroupId = GroupId, FromRank = Rank, ToRank = to, Sequence = sequence, Error = reason };
            _ = _transport.SendAsync(to, abort, CancellationToken.None).ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
        }
    }
}
