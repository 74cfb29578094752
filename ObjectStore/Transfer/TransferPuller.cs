using System.Net;
using System.Net.Sockets;
using OrleansRay.ObjectStore.Arena;
using OrleansRay.ObjectStore.Security;
using OrleansRay.ObjectStore.Storage;

namespace OrleansRay.ObjectStore.Transfer;

/// <summary>Pulls one object from a peer store, streaming it straight into a secondary copy in this store's arena.</summary>
/// <remarks>With credentials, over TLS 1.3 (<see cref="TransferConnection"/>); without, plain TCP.</remarks>
internal sealed class TransferPuller
{
    private readonly StoreCore _core;
    private readonly ClusterCredentials? _credentials;

    public TransferPuller(StoreCore core, ClusterCredentials? credentials)
    {
        _core = core;
        _credentials = credentials;
    }

    public async Task PullAsync(StoreObjectId id, IPEndPoint remote, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            deadline.CancelAfter(timeout);
        }

        TransferConnection? connection = null;
        StoreSession? session = null;
        var leased = false;
        long size = -1;
        long received = 0;
        try
        {
            connection = await TransferConnection.ConnectAsync(remote, _credentials, reason => Describe(id, remote, reason), deadline.Token).ConfigureAwait(false);
            size = await TransferWire.RequestAsync(connection, id, PeerWait(timeout), _credentials is null, reason => Describe(id, remote, reason), deadline.Token).ConfigureAwait(false);

            session = _core.OpenSession($"pull of {id} from {remote}");
            long offset;
            var roomFrom = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                offset = await _core.CreateAsync(session, id, size, primary: false, timeout, deadline.Token).ConfigureAwait(false);
            }
            catch (ObjectAlreadyExistsException)
            {
                return; // created here meanwhile (put locally or another pull): readers wait for its seal
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested && deadline.IsCancellationRequested)
            {
                // The time ran out waiting for room, not for the peer: the copy is fine where it is, and a reader that
                // took this for a lost object rebuilt a healthy one (a reviewer's buffers held the store).
                throw ObjectStoreFullException.ForPull($"object {id} pulled from {remote}", size, System.Diagnostics.Stopwatch.GetElapsedTime(roomFrom), ex);
            }

            leased = _core.TryEnterArena();
            if (!leased)
            {
                throw new ObjectDisposedException(nameof(StoreCore), "The object store stopped.");
            }

            var chunk = _core.Options.TransferChunkSize;
            while (received < size)
            {
                var length = (int)Math.Min(chunk, size - received);
                var read = await connection.ReceiveAsync(Region(offset + received, length), deadline.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new ObjectTransferException(Describe(id, remote, $"the peer closed the connection after {received} of {size} bytes (it may have died)"));
                }

                received += read;
                _core.AddPullBytes(read);
            }

            _core.Seal(session, id);
        }
        catch (Exception ex) when (ex is SocketException or IOException)
        {
            throw new ObjectTransferException(Describe(id, remote, $"the connection failed after {received} of {(size < 0 ? "?" : size)} bytes: {ex.Message}"), ex);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested && deadline.IsCancellationRequested)
        {
            throw new ObjectTransferException(Describe(id, remote, $"it did not finish within {timeout.TotalSeconds:0.###} s ({received} of {(size < 0 ? "?" : size)} bytes)"), ex);
        }
        finally
        {
            connection?.Dispose();
            if (leased)
            {
                _core.ExitArena();
            }

            if (session is not null)
            {
                // Aborts the unsealed copy if the transfer failed.
                _core.CloseSession(session);
            }
        }
    }

    /// <summary>How long the peer may wait for the object to be sealed: half the pull's time, so "not found" arrives before our deadline.</summary>
    private static TimeSpan PeerWait(TimeSpan timeout) =>
        timeout == Timeout.InfiniteTimeSpan ? TimeSpan.FromMinutes(1) : timeout / 2;

    private static string Describe(StoreObjectId id, IPEndPoint remote, string reason) =>
        $"Pulling object {id} from the store at {remote} failed: {reason}.{ObjectTransferException.RetryAdvice}";

    private unsafe Memory<byte> Region(long offset, int length)
    {
        _core.Arena.CheckRange(offset, length);
        return new UnmanagedMemoryManager<byte>(_core.Arena.Pointer + offset, length).Memory;
    }
}
