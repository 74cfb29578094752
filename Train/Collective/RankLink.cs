using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OrleansRay.Train.Collective;

/// <summary>One rank's sending and receiving of collective messages: a payload of at most
/// <see cref="InlineBytes"/> travels inside the message; a larger one is put in this node's object store and only its
/// reference travels, the receiver reading it from its own node's store (pulled there from the sender's node when they
/// differ) — so large buffers move store to store and never through a coordinator or an actor call.</summary>
internal sealed class RankLink
{
    /// <summary>The largest payload sent inside the message (below the store's own inline threshold, 100 KiB, so a
    /// put object would be kept in the owner's memory anyway and fetched by a call).</summary>
    public const int InlineBytes = 64 << 10;

    private readonly IRay _ray;
    private readonly ICollectiveTransport _transport;
    private long _sentInline;
    private long _sentByRef;

    public RankLink(IRay ray, string groupId, int rank, int worldSize, ICollectiveTransport transport)
    {
        _ray = ray;
        GroupId = groupId;
        Rank = rank;
        WorldSize = worldSize;
        _transport = transport;
    }

    public string GroupId { get; }

    public int Rank { get; }

    public int WorldSize { get; }

    public IRay Ray => _ray;

    /// <summary>Messages sent with their payload inline, and by object-store reference (for tests and benches).</summary>
    public (long Inline, long ByRef) Sent => (Interlocked.Read(ref _sentInline), Interlocked.Read(ref _sentByRef));

    /// <summary>Sends <paramref name="count"/> elements that <paramref name="fill"/> writes: a large payload straight into
    /// the store's memory (<see cref="IRay.PutAsync{T, TState}(int, TState, System.Buffers.SpanAction{T, TState}, CancellationToken)"/>:
    /// no temporary array, one write), a small one into an array sent inline. <paramref name="release"/> (e.g. the view
    /// <paramref name="fill"/> reads from) is disposed once the payload is written.</summary>
    /// <returns><c>Stored</c> completes once <paramref name="fill"/> has run (its inputs may then change); <c>Sent</c>
    /// once the message is delivered (it fails if the payload could not be written, or the peer not reached).</returns>
    public (Task Stored, Task Sent) SendFilled<T, TState>(int to, long sequence, int step, int count, TState state, System.Buffers.SpanAction<T, TState> fill, IDisposable? release, BufferShape shape, CancellationToken cancellationToken)
        where T : unmanaged
    {
        var staged = StageAsync(count, state, fill, release, cancellationToken);
        _ = staged.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default); // reported by Sent
        return (staged, SendStagedAsync(to, sequence, step, staged, shape, cancellationToken));
    }

    private async Task<(object? Value, ObjectRef? Ref)> StageAsync<T, TState>(int count, TState state, System.Buffers.SpanAction<T, TState> fill, IDisposable? release, CancellationToken cancellationToken)
        where T : unmanaged
    {
        try
        {
            if ((long)count * Unsafe.SizeOf<T>() <= InlineBytes)
            {
                var values = new T[count];
                fill(values, state);
                return (values, null);
            }

            return (null, await _ray.PutAsync(count, state, fill, cancellationToken).ConfigureAwait(false));
        }
        finally
        {
            release?.Dispose();
        }
    }

    private async Task SendStagedAsync(int to, long sequence, int step, Task<(object? Value, ObjectRef? Ref)> staged, BufferShape shape, CancellationToken cancellationToken)
    {
        var (value, stored) = await staged.ConfigureAwait(false);
        using (stored)
        {
            Interlocked.Increment(ref stored is null ? ref _sentInline : ref _sentByRef);
            await SendAsync(to, sequence, step, value, stored, shape, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Sends the payload of a received message on (the same inline value or object-store reference: no copy).</summary>
    public Task ForwardAsync(int to, long sequence, int step, CollectiveMessage received, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref received.Ref is null ? ref _sentInline : ref _sentByRef);
        return SendAsync(to, sequence, step, received.Value, received.Ref, BufferShape.Of(received), cancellationToken);
    }

    /// <summary>Sends a value of any serializable type: inline when it is small and simple, else by reference.</summary>
    public async Task SendValueAsync<T>(int to, long sequence, int step, T value, CancellationToken cancellationToken)
    {
        if (IsSmall(value))
        {
            Interlocked.Increment(ref _sentInline);
            await SendAsync(to, sequence, step, value, null, default, cancellationToken).ConfigureAwait(false);
            return;
        }

        using var stored = await _ray.PutAsync(value, cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _sentByRef);
        await SendAsync(to, sequence, step, null, stored, default, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends a message without payload (a barrier's signal).</summary>
    public Task SendSignalAsync(int to, long sequence, int step, CancellationToken cancellationToken) =>
        SendAsync(to, sequence, step, null, null, default, cancellationToken);

    /// <summary>Waits for the message of (<paramref name="from"/>, <paramref name="sequence"/>, <paramref name="step"/>).</summary>
    public Task<CollectiveMessage> ReceiveAsync(int from, long sequence, int step, CancellationToken cancellationToken) =>
        CollectiveInbox.ReceiveAsync(GroupId, Rank, from, sequence, step, cancellationToken);

    /// <summary>Receives a chunk and hands a read-only view of it to <paramref name="use"/> (a view of the store's shared
    /// memory for a payload sent by reference: no copy on this side). Returns the message: the caller disposes its
    /// <see cref="CollectiveMessage.Ref"/> once done with it (or forwards it first).</summary>
    /// <exception cref="ArgumentException">The sender's buffer differs from <paramref name="shape"/> (length, or tensor shape).</exception>
    public async Task<CollectiveMessage> ReceiveChunkAsync<T>(int from, long sequence, int step, BufferShape shape, ReadOnlySpanAction<T> use, CancellationToken cancellationToken)
        where T : unmanaged
    {
        var message = await ReceiveAsync(from, sequence, step, cancellationToken).ConfigureAwait(false);
        try
        {
            if (!shape.Matches(BufferShape.Of(message)))
            {
                throw ShapeMismatch(sequence, shape, from, BufferShape.Of(message));
            }

            if (message.Ref is ObjectRef<T[]> stored)
            {
                using var view = await _ray.GetBufferAsync(stored, cancellationToken).ConfigureAwait(false);
                use(view.Span);
            }
            else
            {
                use(((T[])message.Value!).AsSpan());
            }

            return message;
        }
        catch
        {
            message.Ref?.Dispose();
            throw;
        }
    }

    /// <summary>Receives a chunk and returns a read-only view of it, held (with the message's reference) until the
    /// result is disposed: a view of the store's shared memory for a payload sent by reference (no copy on this side).</summary>
    /// <exception cref="ArgumentException">The sender's buffer differs from <paramref name="shape"/> (length, or tensor shape).</exception>
    public async Task<ReceivedChunk<T>> ReceiveViewAsync<T>(int from, long sequence, int step, BufferShape shape, CancellationToken cancellationToken)
        where T : unmanaged
    {
        var message = await ReceiveAsync(from, sequence, step, cancellationToken).ConfigureAwait(false);
        try
        {
            if (!shape.Matches(BufferShape.Of(message)))
            {
                throw ShapeMismatch(sequence, shape, from, BufferShape.Of(message));
            }

            if (message.Ref is ObjectRef<T[]> stored)
            {
                var view = await _ray.GetBufferAsync(stored, cancellationToken).ConfigureAwait(false);
                return new ReceivedChunk<T>(message, view, view.Memory);
            }

            return new ReceivedChunk<T>(message, null, (T[])message.Value!);
        }
        catch
        {
            message.Ref?.Dispose();
            throw;
        }
    }

    /// <summary>Receives a value sent by <see cref="SendValueAsync"/>.</summary>
    public async Task<T> ReceiveValueAsync<T>(int from, long sequence, int step, CancellationToken cancellationToken)
    {
        var message = await ReceiveAsync(from, sequence, step, cancellationToken).ConfigureAwait(false);
        if (message.Ref is null)
        {
            return (T)message.Value!;
        }

        using var stored = (ObjectRef<T>)message.Ref;
        return await _ray.GetAsync(stored, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Tells every other rank that collective <paramref name="sequence"/> failed here (best effort, not
    /// awaited: a peer that cannot be reached is the likely cause).</summary>
    public void AbortOthers(long sequence, string reason)
    {
        for (var to = 0; to < WorldSize; to++)
        {
            if (to == Rank)
            {
                continue;
            }

            var abort = new CollectiveMessage { GroupId = GroupId, FromRank = Rank, ToRank = to, Sequence = sequence, Error = reason };
            _ = _transport.SendAsync(to, abort, CancellationToken.None).ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
        }
    }

    private ArgumentException ShapeMismatch(long sequence, BufferShape mine, int from, BufferShape theirs) => new(
        $"AllReduce #{sequence} of group '{GroupId}': rank {Rank} passed {mine} but rank {from} passed {theirs}; " +
        (mine.Dimensions is null && theirs.Dimensions is null
            ? "every rank must pass a buffer of the same length."
            : "every rank must pass a tensor of the same shape (the same lengths, dimension by dimension)."));

    private static bool IsSmall<T>(T value) => value switch
    {
        null => true,
        string s => s.Length <= InlineBytes / 2,
        Array a => a.GetType().GetElementType() is { IsPrimitive: true } e && (long)a.Length * Marshal.SizeOf(e) <= InlineBytes,
        _ => typeof(T).IsPrimitive || typeof(T).IsEnum,
    };

    private Task SendAsync(int to, long sequence, int step, object? value, ObjectRef? stored, BufferShape shape, CancellationToken cancellationToken) =>
        _transport.SendAsync(to, new CollectiveMessage
        {
            GroupId = GroupId, FromRank = Rank, ToRank = to, Sequence = sequence, Step = step, Value = value, Ref = stored,
            Length = shape.Length, Shape = shape.Dimensions,
        }, cancellationToken);
}

/// <summary>A received chunk: a read-only view of its payload (of the store's memory, or of the inline array);
/// disposing releases the view and the message's reference.</summary>
internal sealed class ReceivedChunk<T>(CollectiveMessage message, IDisposable? view, ReadOnlyMemory<T> values) : IDisposable
    where T : unmanaged
{
    private int _disposed;

    /// <summary>The chunk's elements (valid until disposed).</summary>
    public ReadOnlyMemory<T> Values { get; } = values;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            view?.Dispose();
            message.Ref?.Dispose();
        }
    }
}

/// <summary>Uses a read-only span (spans cannot be captured by lambdas of <see cref="Action{T}"/>).</summary>
internal delegate void ReadOnlySpanAction<T>(ReadOnlySpan<T> span);
