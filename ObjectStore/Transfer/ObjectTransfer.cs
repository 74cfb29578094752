using System.Net;
using System.Net.Sockets;
using OrleansRay.ObjectStore.Security;

namespace OrleansRay.ObjectStore.Transfer;

/// <summary>Reads an object from a store's peer-transfer endpoint into managed memory, for a reader that has no store of
/// its own to pull into (a driver on a machine without a node, or a node started without a store).</summary>
/// <remarks>The same wire protocol a store's pull uses (<c>ObjectStoreClient.PullAsync</c>), so the
/// holder serves both alike; the bytes land in a fresh array instead of a secondary copy. With credentials the
/// connection is TLS 1.3, mutually authenticated by the cluster's key, as the holder requires when it has them.</remarks>
public static class ObjectTransfer
{
    /// <summary>Fetches object <paramref name="id"/> from the store whose transfer endpoint is <paramref name="remote"/>.</summary>
    /// <param name="id">The object.</param>
    /// <param name="remote">The holder store's transfer endpoint.</param>
    /// <param name="timeout">Deadline of the whole fetch (connect, TLS handshake, wait for the seal, bytes).</param>
    /// <param name="credentials">The cluster's credentials: the fetch is TLS 1.3 with them (the holder must have the same
    /// token); null for plain TCP (a cluster started with <c>--insecure</c>, or stores without credentials).</param>
    /// <param name="cancellationToken">Cancels the fetch.</param>
    /// <returns>The object's bytes (a fresh array of exactly its size).</returns>
    /// <exception cref="ObjectTransferException">The holder is gone, lacks the object, or the transfer broke or timed out;
    /// or the holder refused the connection: it has another auth token, requires TLS while <paramref name="credentials"/>
    /// is null, or runs without TLS while it is not (the message says which).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task<byte[]> FetchAsync(StoreObjectId id, IPEndPoint remote, TimeSpan timeout, ClusterCredentials? credentials, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(remote);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        TransferConnection? connection = null;
        long size = -1;
        long received = 0;
        try
        {
            // Half the deadline for the holder's wait, so its "not found" arrives before ours.
            connection = await TransferConnection.ConnectAsync(remote, credentials, reason => Describe(id, remote, reason), deadline.Token).ConfigureAwait(false);
            size = await TransferWire.RequestAsync(connection, id, timeout / 2, credentials is null, reason => Describe(id, remote, reason), deadline.Token).ConfigureAwait(false);
            if (size > Array.MaxLength)
            {
                throw new ObjectTransferException(Describe(id, remote, $"it is {size} bytes, more than one .NET array holds"));
            }

            var bytes = GC.AllocateUninitializedArray<byte>((int)size);
            while (received < size)
            {
                var read = await connection.ReceiveAsync(bytes.AsMemory((int)received), deadline.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new ObjectTransferException(Describe(id, remote, $"the holder closed the connection after {received} of {size} bytes (it may have died)"));
                }

                received += read;
            }

            return bytes;
        }
        catch (Exception ex) when (ex is SocketException or IOException)
        {
            throw new ObjectTransferException(Describe(id, remote, $"the connection failed after {received} of {(size < 0 ? "?" : size)} bytes: {ex.Message}"), ex);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ObjectTransferException(Describe(id, remote, $"it did not finish within {timeout.TotalSeconds:0.###} s ({received} of {(size < 0 ? "?" : size)} bytes)"), ex);
        }
        finally
        {
            connection?.Dispose();
        }
    }

    private static string Describe(StoreObjectId id, IPEndPoint remote, string reason) =>
        $"Fetching object {id} from the store at {remote} failed: {reason}.";
}
