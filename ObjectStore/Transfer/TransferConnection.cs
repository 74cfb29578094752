using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using OrleansRay.ObjectStore.Security;

namespace OrleansRay.ObjectStore.Transfer;

/// <summary>One peer-transfer connection: the TCP socket itself (plain, no credentials), or TLS 1.3 over it with mutual
/// authentication by the cluster's key (<see cref="ClusterCredentials"/>).</summary>
/// <remarks>The plain path calls the socket directly, as before TLS existed; only a TLS connection has a stream.</remarks>
internal sealed class TransferConnection : IDisposable
{
    /// <summary>Bound on a TLS handshake, either side: a peer that has not finished it by then is refused.</summary>
    public static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The first byte of a TLS record carrying a handshake message (a ClientHello).</summary>
    public const byte TlsHandshakeRecord = 0x16;

    /// <summary>Bytes of the buffer between TLS and the socket (<see cref="SocketBufferStream"/>): a TLS record holds 16 KiB
    /// at most, and without it each record would be a send or receive call of its own (~7% less CPU per byte measured
    /// with it).</summary>
    private const int BufferSize = 256 << 10;

    private readonly Socket _socket;
    private readonly SslStream? _tls;

    private TransferConnection(Socket socket, SslStream? tls)
    {
        _socket = socket;
        _tls = tls;
    }

    /// <summary>A plain connection over <paramref name="socket"/>, which it disposes.</summary>
    public static TransferConnection Plain(Socket socket) => new(socket, null);

    /// <summary>Connects to <paramref name="remote"/>, then completes TLS with <paramref name="credentials"/> when given.</summary>
    /// <param name="remote">A store's transfer endpoint.</param>
    /// <param name="credentials">The cluster's credentials, or null for plain TCP.</param>
    /// <param name="describe">Turns a reason into the exception's message.</param>
    /// <param name="cancellationToken">The caller's deadline.</param>
    /// <exception cref="ObjectTransferException">The handshake failed: the message says whether the holder has another
    /// token or no TLS.</exception>
    /// <exception cref="SocketException">The connection could not be made.</exception>
    public static async ValueTask<TransferConnection> ConnectAsync(IPEndPoint remote, ClusterCredentials? credentials, Func<string, string> describe, CancellationToken cancellationToken)
    {
        var socket = new Socket(remote.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(remote, cancellationToken).ConfigureAwait(false);
            if (credentials is null)
            {
                return Plain(socket);
            }

            return new TransferConnection(socket, await ClientHandshakeAsync(socket, credentials, describe, cancellationToken).ConfigureAwait(false));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Completes the server's side of TLS on an accepted <paramref name="peer"/>, within <see cref="HandshakeTimeout"/>.</summary>
    /// <returns>The connection, or null when the peer was refused: <paramref name="refused"/> got a line naming its
    /// address and why; a peer that sent a plain request got <see cref="TransferWire.TlsRequired"/> as its answer.</returns>
    public static async ValueTask<TransferConnection?> AcceptAsync(Socket peer, ClusterCredentials credentials, Action<string>? refused, CancellationToken cancellationToken)
    {
        var address = peer.RemoteEndPoint?.ToString() ?? "an unknown address";
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(HandshakeTimeout);
        SslStream? tls = null;
        try
        {
            var first = new byte[1];
            if (await peer.ReceiveAsync(first, SocketFlags.Peek, deadline.Token).ConfigureAwait(false) == 0)
            {
                return null; // closed without a word (a port probe): nothing to refuse
            }

            if (first[0] != TlsHandshakeRecord)
            {
                if (first[0] == (byte)(TransferWire.Magic & 0xFF))
                {
                    await TransferWire.RefusePlainAsync(peer, deadline.Token).ConfigureAwait(false);
                    refused?.Invoke($"refused a peer-transfer connection from {address}: it sent a plain request, without TLS (it has no auth token: started with --insecure?)");
                }
                else
                {
                    refused?.Invoke($"refused a peer-transfer connection from {address}: it sent neither TLS nor a transfer request");
                }

                return null;
            }

            tls = new SslStream(new SocketBufferStream(peer, BufferSize), leaveInnerStreamOpen: false);
            await tls.AuthenticateAsServerAsync(credentials.ServerOptions(), deadline.Token).ConfigureAwait(false);
            return new TransferConnection(peer, tls);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            tls?.Dispose();
            if (!cancellationToken.IsCancellationRequested)
            {
                var why = ex is OperationCanceledException
                    ? $"it did not complete the TLS handshake within {HandshakeTimeout.TotalSeconds:0} s"
                    : $"it did not complete TLS 1.3 with this cluster's key (no or another auth token, or started with --insecure): {ex.Message}";
                refused?.Invoke($"refused a peer-transfer connection from {address}: {why}");
            }

            return null;
        }
    }

    /// <summary>Reads what has arrived, up to <paramref name="buffer"/>'s length; 0 when the peer closed.</summary>
    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        _tls is null ? _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken) : _tls.ReadAsync(buffer, cancellationToken);

    /// <summary>Receives exactly <paramref name="buffer"/>.Length bytes; false when the peer closed first.</summary>
    public async ValueTask<bool> ReceiveExactlyAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (_tls is null)
        {
            return await TransferWire.ReceiveExactlyAsync(_socket, buffer, cancellationToken).ConfigureAwait(false);
        }

        while (!buffer.IsEmpty)
        {
            var read = await _tls.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return false;
            }

            buffer = buffer[read..];
        }

        return true;
    }

    /// <summary>Sends all of <paramref name="buffer"/>.</summary>
    public ValueTask SendAllAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken) =>
        _tls is null ? TransferWire.SendAllAsync(_socket, buffer, cancellationToken) : SendTlsAsync(_tls, buffer, cancellationToken);

    private static async ValueTask SendTlsAsync(SslStream tls, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        await tls.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        await tls.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _tls?.Dispose();
        _socket.Dispose();
    }

    private static async ValueTask<SslStream> ClientHandshakeAsync(Socket socket, ClusterCredentials credentials, Func<string, string> describe, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(HandshakeTimeout);
        var options = credentials.ClientOptions();
        var rejected = false;
        options.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            rejected = !credentials.IsClusterCertificate(certificate);
            return !rejected;
        };
        var tls = new SslStream(new SocketBufferStream(socket, BufferSize), leaveInnerStreamOpen: false);
        try
        {
            await tls.AuthenticateAsClientAsync(options, deadline.Token).ConfigureAwait(false);
            return tls;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or SocketException)
        {
            tls.Dispose();
            throw new ObjectTransferException(describe(rejected
                ? "the holder refused it: its certificate is not this cluster's (it runs with another auth token)"
                : $"the holder refused it during the TLS handshake: it has another auth token, or runs without TLS (started with --insecure) ({ex.Message})"), ex);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            tls.Dispose();
            throw new ObjectTransferException(describe($"the holder did not complete the TLS handshake within {HandshakeTimeout.TotalSeconds:0} s (it may run without TLS, started with --insecure)"), ex);
        }
    }
}
