using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using OrleansRay.ObjectStore.Arena;
using OrleansRay.ObjectStore.Protocol;
using OrleansRay.ObjectStore.Security;
using OrleansRay.ObjectStore.Storage;

namespace OrleansRay.ObjectStore.Transfer;

/// <summary>Puts an object into a store over its peer-transfer endpoint, for a process that has no store of its own (a
/// driver on another machine than the node it connects through): Ray Client's chunked put. Both halves of the exchange
/// are here: <see cref="PutAsync"/> sends, <see cref="ServeAsync"/> receives (wire format in <see cref="TransferWire"/>).</summary>
/// <remarks>The bytes stream over one TCP (or TLS 1.3) connection in chunks of at most <see cref="ChunkSize"/>, straight
/// into the object's block in the arena; no message carries the value, so its size is bounded by the store's capacity
/// (and 2 GiB per object), not by a message limit. The object is a primary copy created as a put creates one (making
/// room by evicting and spilling within the store's create timeout); it is aborted, never left half-written, when the
/// sender stops before the last byte.</remarks>
internal static class TransferPut
{
    /// <summary>Bytes the sender copies out of the value and sends per step: bounds its extra memory (8 MiB, the store's
    /// default transfer chunk), while each step is long enough (~3 ms at loopback speed) that the per-step cost vanishes.</summary>
    public const int ChunkSize = 8 << 20;

    /// <summary>How long either side waits for the other to make progress (the answer to the request, the next bytes,
    /// the seal) before it gives up: longer than a store's default create timeout (30 s), which the answer may wait for.</summary>
    public static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Puts object <paramref name="id"/> of <paramref name="size"/> bytes into the store whose transfer endpoint
    /// is <paramref name="remote"/>, sealed there when this returns.</summary>
    /// <param name="id">The object's id (new: the store refuses one it has).</param>
    /// <param name="remote">The store's transfer endpoint.</param>
    /// <param name="size">The object's bytes, 0 to <see cref="int.MaxValue"/>.</param>
    /// <param name="copy">Writes the object's bytes from the offset it is given into the span (one chunk per call, in order).</param>
    /// <param name="credentials">The cluster's credentials (TLS 1.3), or null for plain TCP.</param>
    /// <param name="cancellationToken">Cancels the put (the store aborts the object).</param>
    /// <exception cref="ObjectStoreFullException">The store could not make room for the object.</exception>
    /// <exception cref="ObjectTransferException">The store refused the object for another reason (it names it), did not
    /// answer within <see cref="StallTimeout"/>, or the connection broke.</exception>
    public static async Task PutAsync(StoreObjectId id, IPEndPoint remote, long size, SpanAction<byte, long> copy, ClusterCredentials? credentials, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(remote);
        ArgumentNullException.ThrowIfNull(copy);
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stall.CancelAfter(StallTimeout);
        TransferConnection? connection = null;
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(ChunkSize, Math.Max(size, 1)));
        long sent = 0;
        try
        {
            connection = await TransferConnection.ConnectAsync(remote, credentials, reason => Describe(id, remote, reason), stall.Token).ConfigureAwait(false);
            await connection.SendAllAsync(TransferWire.EncodePutRequest(id, size), stall.Token).ConfigureAwait(false);
            // The store answers once the object is created: this waits while it makes room.
            await ReadAnswerAsync(connection, id, remote, "before answering", credentials is null, stall.Token).ConfigureAwait(false);
            while (sent < size)
            {
                var length = (int)Math.Min(buffer.Length, size - sent);
                copy(buffer.AsSpan(0, length), sent);
                stall.CancelAfter(StallTimeout);
                await connection.SendAllAsync(buffer.AsMemory(0, length), stall.Token).ConfigureAwait(false);
                sent += length;
            }

            stall.CancelAfter(StallTimeout);
            await ReadAnswerAsync(connection, id, remote, $"after all {size} bytes, before sealing the object", plain: false, stall.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or IOException)
        {
            throw new ObjectTransferException(Describe(id, remote, $"the connection failed after {sent} of {size} bytes: {ex.Message}"), ex);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ObjectTransferException(Describe(id, remote, $"the store made no progress for {StallTimeout.TotalSeconds:0} s ({sent} of {size} bytes sent)"), ex);
        }
        finally
        {
            connection?.Dispose();
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads the store's answer: returns on "go on", throws what it refused with.</summary>
    private static async ValueTask ReadAnswerAsync(TransferConnection connection, StoreObjectId id, IPEndPoint remote, string when, bool plain, CancellationToken cancellationToken)
    {
        var header = new byte[TransferWire.HeaderSize];
        if (!await connection.ReceiveExactlyAsync(header, cancellationToken).ConfigureAwait(false))
        {
            throw new ObjectTransferException(Describe(id, remote, plain
                ? $"the store closed the connection {when} (it may have died, it requires TLS: the cluster has an auth token and this process has none, or it is older and takes no puts)"
                : $"the store closed the connection {when} (it may have died, or it is older and takes no puts)"));
        }

        switch (header[0])
        {
            case TransferWire.Found:
                return;
            case TransferWire.TlsRequired:
                throw new ObjectTransferException(Describe(id, remote, "the store refused it: it requires TLS with the cluster's auth token, and this process has none (started with --insecure, or no token given)"));
            case TransferWire.Refused:
                var length = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(1));
                if (length is < 1 or > 64 << 10)
                {
                    break;
                }

                var reason = new byte[length];
                if (!await connection.ReceiveExactlyAsync(reason, cancellationToken).ConfigureAwait(false))
                {
                    break;
                }

                // The store's own exception (full, or why it refused), as its socket clients get it.
                throw ReplyErrors.ToException((ReplyStatus)reason[0], Encoding.UTF8.GetString(reason.AsSpan(1)));
        }

        throw new ObjectTransferException(Describe(id, remote, $"the store sent an invalid answer (status {header[0]})"));
    }

    /// <summary>Serves one put request (<paramref name="request"/>, already read) on <paramref name="connection"/>: creates
    /// the object, receives its bytes into the arena, seals it. An object not complete when the sender stops, or when
    /// it makes no progress for <see cref="StallTimeout"/>, is aborted (closing the session does it).</summary>
    /// <exception cref="SocketException">The connection broke (as the other transfer failures: the caller drops it).</exception>
    /// <exception cref="OperationCanceledException">The sender stalled, or the store is stopping.</exception>
    public static async Task ServeAsync(StoreCore core, TransferConnection connection, byte[] request, string peer, CancellationToken stopping)
    {
        var id = new StoreObjectId(request.AsSpan(4, StoreObjectId.Size));
        var size = BinaryPrimitives.ReadInt64LittleEndian(request.AsSpan(4 + StoreObjectId.Size));
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var session = core.OpenSession($"put of {id} from {peer}");
        var leased = false;
        try
        {
            long offset;
            try
            {
                offset = await core.CreateAsync(session, id, size, primary: true, core.Options.CreateTimeout, stopping).ConfigureAwait(false);
                leased = core.TryEnterArena();
                if (!leased)
                {
                    throw new ObjectDisposedException(nameof(StoreCore), "The object store is stopping.");
                }
            }
            catch (Exception ex) when (ex is ObjectStoreException or ArgumentException or ObjectDisposedException or InvalidOperationException)
            {
                await RefuseAsync(connection, ex, stopping).ConfigureAwait(false);
                return;
            }

            await connection.SendAllAsync(Answer(TransferWire.Found, 0), stopping).ConfigureAwait(false);
            long received = 0;
            while (received < size)
            {
                stall.CancelAfter(StallTimeout);
                var length = (int)Math.Min(core.Options.TransferChunkSize, size - received);
                var read = await connection.ReceiveAsync(Region(core, offset + received, length), stall.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    return; // the sender gave up: the session's close aborts the object
                }

                received += read;
            }

            core.Seal(session, id);
            await connection.SendAllAsync(Answer(TransferWire.Found, 0), stopping).ConfigureAwait(false);
        }
        finally
        {
            if (leased)
            {
                core.ExitArena();
            }

            core.CloseSession(session);
        }
    }

    private static async ValueTask RefuseAsync(TransferConnection connection, Exception refusal, CancellationToken cancellationToken)
    {
        var message = Encoding.UTF8.GetBytes(refusal.Message);
        var answer = new byte[TransferWire.HeaderSize + 1 + message.Length];
        Answer(TransferWire.Refused, 1 + message.Length).CopyTo(answer, 0);
        answer[TransferWire.HeaderSize] = (byte)ReplyErrors.StatusOf(refusal);
        message.CopyTo(answer, TransferWire.HeaderSize + 1);
        await connection.SendAllAsync(answer, cancellationToken).ConfigureAwait(false);
    }

    private static byte[] Answer(byte status, long value)
    {
        var header = new byte[TransferWire.HeaderSize];
        header[0] = status;
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(1), value);
        return header;
    }

    private static unsafe Memory<byte> Region(StoreCore core, long offset, int length)
    {
        core.Arena.CheckRange(offset, length);
        return new UnmanagedMemoryManager<byte>(core.Arena.Pointer + offset, length).Memory;
    }

    private static string Describe(StoreObjectId id, IPEndPoint remote, string reason) =>
        $"Putting object {id} into the store at {remote} failed: {reason}.";
}
