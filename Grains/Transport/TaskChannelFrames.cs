using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Orleans.Serialization;
using Orleans.Serialization.Buffers;
using OrleansRay.Grains;

namespace OrleansRay.Transport;

/// <summary>One send of tasks on a task channel: what <see cref="INodeEndpoint.RunTasksAsync"/> takes, with the reply
/// endpoint as its grain id (the node makes the reference once per connection, not a proxy per request).</summary>
[GenerateSerializer, Immutable, Alias("orleansray.taskchannel.request")]
internal sealed record TaskChannelRequest(
    [property: Id(0)] GrainId ReplyTo,
    [property: Id(1)] RemoteTask[] Tasks);

/// <summary>One lone actor call on a task channel: what <see cref="IActorHostGrain.SubmitLoneAsync"/> takes, and the
/// actor it is for. The batch travels in parts, its reply endpoint as a grain id (the node makes the reference once per
/// connection, not a proxy per request).</summary>
[GenerateSerializer, Immutable, Alias("orleansray.taskchannel.actorrequest")]
internal sealed record TaskChannelActorRequest(
    [property: Id(0)] ActorId Actor,
    [property: Id(1)] ActorCall[] Calls,
    [property: Id(2)] GrainId ReplyTo,
    [property: Id(3)] long Floor);

/// <summary>The task channel's framing: a 16-byte header (body length, kind, call id; little-endian) and a body of
/// Orleans-serialized bytes. A request's body is a <see cref="TaskChannelRequest"/> (or a
/// <see cref="TaskChannelActorRequest"/>); a reply's the results (<c>RemoteResult[]?</c>, or <c>ActorCallsAccepted?</c>)
/// or, for <see cref="FrameKind.Failed"/>, a UTF-8 reason.</summary>
internal static class TaskChannelFrames
{
    /// <summary>Bytes of a frame's header.</summary>
    public const int HeaderSize = 16;

    /// <summary>The largest body either side sends or accepts: 16 MiB. A batch that serializes larger goes through
    /// Orleans messaging instead; a peer that announces more is cut off.</summary>
    public const int MaxBody = 16 << 20;

    /// <summary>What a frame carries.</summary>
    public enum FrameKind
    {
        /// <summary>Tasks to run (owner → node).</summary>
        Request = 1,

        /// <summary>The node took the tasks; the body is the results that came with the reply (node → owner).</summary>
        Accepted = 2,

        /// <summary>The node could not take the request; the body says why (node → owner).</summary>
        Failed = 3,

        /// <summary>A lone actor call for the actor's mailbox on the node (owner → node); answered
        /// <see cref="Accepted"/> with an <c>ActorCallsAccepted?</c>.</summary>
        ActorRequest = 4,
    }

    /// <summary>A frame: header and <paramref name="body"/>'s serialized bytes, in one array rented from the shared pool
    /// (return it when written).</summary>
    /// <exception cref="InvalidOperationException">The body is over <see cref="MaxBody"/>.</exception>
    public static byte[] Build<TBody>(Serializer serializer, FrameKind kind, long callId, TBody body, out int length)
    {
        // Into Orleans' pooled segments, then once into the rented frame: no array per frame beside the frame itself.
        using var session = serializer.SessionPool.GetSession();
        var writer = Writer.CreatePooled(session);
        try
        {
            serializer.Serialize(body, ref writer);
            var output = writer.Output;
            var frame = Rent(kind, callId, output.Length, out length);
            output.CopyTo(frame.AsSpan(HeaderSize, output.Length));
            return frame;
        }
        finally
        {
            writer.Dispose();
        }
    }

    /// <summary>A frame around bytes already serialized.</summary>
    /// <exception cref="InvalidOperationException">The body is over <see cref="MaxBody"/>.</exception>
    public static byte[] Build(FrameKind kind, long callId, ReadOnlySpan<byte> body, out int length)
    {
        var frame = Rent(kind, callId, body.Length, out length);
        body.CopyTo(frame.AsSpan(HeaderSize));
        return frame;
    }

    /// <summary>A rented frame with its header written, for a body of <paramref name="bodyLength"/> bytes.</summary>
    /// <exception cref="InvalidOperationException">The body is over <see cref="MaxBody"/>.</exception>
    private static byte[] Rent(FrameKind kind, long callId, int bodyLength, out int length)
    {
        if (bodyLength > MaxBody)
        {
            throw new InvalidOperationException($"A task channel frame of {bodyLength} bytes is over the limit of {MaxBody} bytes.");
        }

        length = HeaderSize + bodyLength;
        var frame = ArrayPool<byte>.Shared.Rent(length);
        BinaryPrimitives.WriteInt32LittleEndian(frame, bodyLength);
        BinaryPrimitives.WriteInt32LittleEndian(frame.AsSpan(4), (int)kind);
        BinaryPrimitives.WriteInt64LittleEndian(frame.AsSpan(8), callId);
        return frame;
    }

    /// <summary>Reads one frame's header and body from <paramref name="stream"/>; the body is rented from the shared
    /// pool (return it when read).</summary>
    /// <returns>False when the peer closed the connection between frames.</returns>
    /// <exception cref="InvalidDataException">The header is not one of this protocol's (unknown kind, a body over
    /// <see cref="MaxBody"/>, a negative length).</exception>
    /// <exception cref="EndOfStreamException">The connection closed inside a frame.</exception>
    /// <remarks>Its state machine comes from a pool (one read loop per connection awaits each frame once), not one
    /// allocation per frame.</remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<(bool Read, FrameKind Kind, long CallId, byte[] Body, int Length)> ReadAsync(Stream stream, byte[] header, CancellationToken cancellationToken)
    {
        var first = await stream.ReadAtLeastAsync(header.AsMemory(0, HeaderSize), HeaderSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (first == 0)
        {
            return (false, default, 0, [], 0);
        }

        if (first < HeaderSize)
        {
            throw new EndOfStreamException("The task channel closed inside a frame's header.");
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(header);
        var kind = (FrameKind)BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(4));
        var callId = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(8));
        if (length is < 0 or > MaxBody || kind is < FrameKind.Request or > FrameKind.ActorRequest)
        {
            throw new InvalidDataException($"Not a task channel frame (kind {(int)kind}, {length} bytes).");
        }

        var body = ArrayPool<byte>.Shared.Rent(Math.Max(1, length));
        try
        {
            await stream.ReadExactlyAsync(body.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(body);
            throw;
        }

        return (true, kind, callId, body, length);
    }
}
