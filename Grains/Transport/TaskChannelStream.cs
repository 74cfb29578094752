using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using OrleansRay.ObjectStore.Security;

namespace OrleansRay.Transport;

/// <summary>One task channel connection's stream: the socket itself (no credentials), or TLS 1.3 over it with mutual
/// authentication by the cluster's key (<see cref="ClusterCredentials"/>). One reader loop; writers take turns.</summary>
internal sealed class TaskChannelStream : IDisposable
{
    /// <summary>Bound on a TLS handshake, either side.</summary>
    public static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    private readonly Socket _socket;
    private readonly object _writeGate = new();

    private TaskChannelStream(Socket socket, Stream stream)
    {
        _socket = socket;
        Stream = stream;
    }

    /// <summary>What the reader loop reads from.</summary>
    public Stream Stream { get; }

    /// <summary>Connects to <paramref name="remote"/> and, with <paramref name="credentials"/>, completes TLS.</summary>
    /// <exception cref="SocketException">No connection.</exception>
    /// <exception cref="AuthenticationException">The peer is not of this cluster (another key, or no TLS).</exception>
    /// <exception cref="OperationCanceledException">The handshake did not finish within <see cref="HandshakeTimeout"/>
    /// or <paramref name="cancellationToken"/> fired.</exception>
    public static async Task<TaskChannelStream> ConnectAsync(System.Net.IPEndPoint remote, ClusterCredentials? credentials, CancellationToken cancellationToken)
    {
        var socket = new Socket(remote.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(HandshakeTimeout);
            await socket.ConnectAsync(remote, deadline.Token).ConfigureAwait(false);
            if (credentials is null)
            {
                return new TaskChannelStream(socket, new NetworkStream(socket, ownsSocket: false));
            }

            var tls = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
            try
            {
                await tls.AuthenticateAsClientAsync(credentials.ClientOptions(), deadline.Token).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                tls.Dispose();
                throw new AuthenticationException($"The node at {remote} refused TLS with this cluster's key: {ex.Message}", ex);
            }
            catch
            {
                tls.Dispose();
                throw;
            }

            return new TaskChannelStream(socket, tls);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The accepting side of <paramref name="peer"/>: with <paramref name="credentials"/>, TLS within
    /// <see cref="HandshakeTimeout"/>.</summary>
    /// <exception cref="AuthenticationException">The peer did not complete TLS with the cluster's key.</exception>
    /// <exception cref="IOException">The peer sent something other than TLS, or closed.</exception>
    /// <exception cref="OperationCanceledException">The handshake took too long.</exception>
    public static async Task<TaskChannelStream> AcceptAsync(Socket peer, ClusterCredentials? credentials, CancellationToken cancellationToken)
    {
        peer.NoDelay = true;
        if (credentials is null)
        {
            return new TaskChannelStream(peer, new NetworkStream(peer, ownsSocket: false));
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(HandshakeTimeout);
        var tls = new SslStream(new NetworkStream(peer, ownsSocket: false), leaveInnerStreamOpen: false);
        try
        {
            await tls.AuthenticateAsServerAsync(credentials.ServerOptions(), deadline.Token).ConfigureAwait(false);
        }
        catch
        {
            tls.Dispose();
            throw;
        }

        return new TaskChannelStream(peer, tls);
    }

    /// <summary>Writes one frame (its first <paramref name="length"/> bytes) and returns the array to the shared pool.
    /// Writers take turns, so frames never interleave; the write is synchronous (frames are small, and the reader on the
    /// other side always reads).</summary>
    /// <exception cref="IOException">The connection broke.</exception>
    /// <exception cref="ObjectDisposedException">The connection was closed.</exception>
    public void WriteFrame(byte[] frame, int length)
    {
        try
        {
            lock (_writeGate)
            {
                Stream.Write(frame, 0, length);
                Stream.Flush();
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already closed by the peer, or by us.
        }

        Stream.Dispose();
        _socket.Dispose();
    }
}
