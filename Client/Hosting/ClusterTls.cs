using System.Net;
using System.Security.Authentication;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Connections.Security;
using Orleans.Hosting;
using OrleansRay.ObjectStore.Security;

namespace OrleansRay.Hosting;

/// <summary>Puts every Orleans connection of a cluster (silo to silo, client to gateway) on TLS 1.3 with mutual
/// authentication by the cluster's key (<see cref="ClusterCredentials"/>), through Orleans' own TLS middleware
/// (Microsoft.Orleans.Connections.Security).</summary>
internal static partial class ClusterTls
{
    /// <summary>The silo's inbound (node and gateway) and outbound connections; a refused connection is logged with the
    /// peer's address.</summary>
    public static ISiloBuilder UseClusterTls(this ISiloBuilder silo, ClusterCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(credentials);
        // Configured before UseTls, so this middleware is the outer one: it sees how the TLS middleware's handshake ended.
        silo.Configure<SiloConnectionOptions>(o =>
        {
            o.ConfigureSiloInboundConnection(b => b.Use(next => LogRefusals(b, next, "node")));
            o.ConfigureGatewayInboundConnection(b => b.Use(next => LogRefusals(b, next, "client")));
        });
        return silo.UseTls(credentials.Certificate, tls => Configure(tls, credentials, outcome: null));
    }

    /// <summary>A client's connections to the gateway; <paramref name="outcome"/> learns what the server presented,
    /// so a failed connect can say why.</summary>
    public static IClientBuilder UseClusterTls(this IClientBuilder client, ClusterCredentials credentials, HandshakeOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(credentials);
        return client.UseTls(credentials.Certificate, tls => Configure(tls, credentials, outcome));
    }

    /// <summary>What a gateway answered a probe with.</summary>
    internal enum ProbeResult
    {
        /// <summary>Nothing accepted the connection (or it did not answer within the deadline).</summary>
        Nothing,

        /// <summary>It accepted, but answered no TLS handshake: a cluster started with --insecure (or not a gateway).</summary>
        Plain,

        /// <summary>It answered TLS with a certificate of another key: a cluster with another token.</summary>
        OtherKey,

        /// <summary>It answered TLS with a certificate (of this cluster's key when credentials were given: the handshake
        /// completed).</summary>
        Tls,

        /// <summary>It accepted, but neither answered nor refused a handshake within <see cref="ProbeHandshakeTimeout"/>:
        /// a busy node (a just-started one compiles its TLS path first). Not a verdict: the client's own connection, which
        /// retries, decides.</summary>
        Slow,
    }

    /// <summary>How long a probe waits for the TCP connection: 5 s (the kernel accepts even for a busy node).</summary>
    private static readonly TimeSpan ProbeConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long a probe waits for the handshake after connecting: 10 s, Orleans' <c>TlsOptions.HandshakeTimeout</c>
    /// default. A plain gateway refuses a handshake at once; only a slow one takes this long.</summary>
    private static readonly TimeSpan ProbeHandshakeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>One TLS handshake with the gateway at <paramref name="endpoint"/> before the Orleans client connects, so
    /// a wrong token, or TLS on one side only, is told at once instead of after the client's connect timeout (Orleans'
    /// client retries a refused handshake until then). With <paramref name="credentials"/>, a handshake that completes
    /// is a normal connection for the gateway (no refusal logged); without, the probe stops at the server's certificate.</summary>
    /// <param name="endpoint">The gateway.</param>
    /// <param name="credentials">The cluster's credentials; null probes as an insecure client.</param>
    /// <param name="cancellationToken">Cancels the probe (an <see cref="OperationCanceledException"/> is thrown).</param>
    /// <param name="handshakeTimeout">How long to wait for the handshake; default <see cref="ProbeHandshakeTimeout"/>.</param>
    public static async Task<ProbeResult> ProbeAsync(IPEndPoint endpoint, ClusterCredentials? credentials, CancellationToken cancellationToken, TimeSpan? handshakeTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(ProbeConnectTimeout);
        using var tcp = new System.Net.Sockets.TcpClient(endpoint.AddressFamily);
        try
        {
            await tcp.ConnectAsync(endpoint, deadline.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return ProbeResult.Nothing;
        }

        bool? ours = null;
        await using var ssl = new System.Net.Security.SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        var options = credentials?.ClientOptions() ?? new System.Net.Security.SslClientAuthenticationOptions
        {
            TargetHost = "orleansray-cluster",
            EnabledSslProtocols = SslProtocols.Tls13,
        };
        options.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            ours = certificate is not null && credentials is not null && credentials.IsClusterCertificate(certificate);
            if (certificate is null)
            {
                ours = null;
            }

            return ours == true;
        };
        deadline.CancelAfter(handshakeTimeout ?? ProbeHandshakeTimeout);
        try
        {
            await ssl.AuthenticateAsClientAsync(options, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && ours is null)
        {
            // Accepted and said nothing in time: no answer is not "no TLS" (this once failed a worker's start under load).
            return ProbeResult.Slow;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or System.Net.Sockets.SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // Refused, closed, not TLS, or our own rejection of the certificate: what the callback saw tells which.
        }

        return ours switch
        {
            null => ProbeResult.Plain,
            false when credentials is not null => ProbeResult.OtherKey,
            _ => ProbeResult.Tls,
        };
    }

    private static void Configure(TlsOptions tls, ClusterCredentials credentials, HandshakeOutcome? outcome)
    {
        tls.SslProtocols = SslProtocols.Tls13;
        tls.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        tls.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
        tls.RemoteCertificateValidation = (certificate, _, _) =>
        {
            var ours = credentials.IsClusterCertificate(certificate);
            outcome?.Saw(ours);
            return ours;
        };
    }

    private static ConnectionDelegate LogRefusals(IConnectionBuilder builder, ConnectionDelegate next, string peer)
    {
        var logger = builder.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("OrleansRay.Security");
        return async context =>
        {
            // A peer that connects and closes without a byte is a port probe (the CLI's "does anything answer here"),
            // not a refused client: look at the first read without consuming it. One that sends nothing at all is
            // closed after the TLS handshake's own deadline.
            var input = context.Transport.Input;
            System.IO.Pipelines.ReadResult first;
            using (var silent = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
            {
                try
                {
                    first = await input.ReadAsync(silent.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    LogRefused(logger, peer, (context.RemoteEndPoint?.ToString() ?? "an unknown address") + " (it sent nothing for 10 s)");
                    context.Abort();
                    return;
                }
            }

            input.AdvanceTo(first.Buffer.Start);
            if (first.Buffer.IsEmpty && first.IsCompleted)
            {
                return;
            }

            await next(context).ConfigureAwait(false);
            // The TLS middleware sets the feature first and its protocol only when the handshake succeeded; a refused
            // peer never reaches the connection behind it.
            if (context.Features.Get<ITlsHandshakeFeature>() is not { Protocol: not SslProtocols.None })
            {
                LogRefused(logger, peer, context.RemoteEndPoint?.ToString() ?? "an unknown address");
            }
        };
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a {Peer} connection from {Remote}: it did not complete TLS 1.3 with this cluster's key (no or another auth token, or started with --insecure)")]
    private static partial void LogRefused(ILogger logger, string peer, string remote);

    /// <summary>What the server of a client's TLS handshakes presented.</summary>
    internal sealed class HandshakeOutcome
    {
        private int _state;

        /// <summary>The server presented a certificate with another key: a cluster with another token.</summary>
        public bool SawForeignKey => Volatile.Read(ref _state) == 1;

        /// <summary>A handshake got as far as the server's certificate.</summary>
        public bool SawCertificate => Volatile.Read(ref _state) != 0;

        internal void Saw(bool ours) => Interlocked.CompareExchange(ref _state, ours ? 2 : 1, 0);

        /// <summary>Why connecting to <paramref name="address"/> failed, in words a user can act on and true for every
        /// case the client cannot tell apart; null when TLS was not the reason.</summary>
        /// <param name="address">The gateway, as given.</param>
        /// <param name="tokenSource">Where the token came from (an option, a variable, a file).</param>
        /// <param name="insecureHint">How this caller connects without TLS (a driver's <c>Insecure = true</c>, the CLI's
        /// <c>--insecure</c>).</param>
        /// <param name="waited">How long the caller waited for an answer, said when no handshake got an answer.</param>
        public string? Explain(string address, string tokenSource, string insecureHint = "Insecure = true (CLI: --insecure)", TimeSpan? waited = null) =>
            SawForeignKey
                ? ForeignToken(address, tokenSource)
                : SawCertificate
                    ? null
                    : NoTlsAnswer(address, insecureHint, waited);

        /// <summary>A server presented a certificate of another key: an OrleansRay cluster with another token, or any
        /// other TLS service (the client cannot tell which).</summary>
        internal static string ForeignCertificate(string address, string otherToken) =>
            $"{address} presented a certificate that is not this cluster's: {otherToken}, or it is not an OrleansRay node";

        /// <summary><see cref="ForeignCertificate"/> for a driver whose token came from <paramref name="tokenSource"/>:
        /// what to use instead, and where it is on the head's machine.</summary>
        internal static string ForeignToken(string address, string tokenSource) =>
            ForeignCertificate(address, $"it holds another auth token than the one from {tokenSource} (use the token its head printed: on the head's machine, the file orleansray_auth_token under $ORLEANSRAY_TEMP_DIR or /tmp/orleansray)");

        /// <summary>The server answered with TLS to a caller that connects without it: a cluster started without
        /// --insecure, or any other TLS service (without a token the client cannot tell which).</summary>
        /// <param name="address">The gateway, as given.</param>
        /// <param name="insecureHint">How this caller asked for no TLS (a driver's <c>Insecure = true</c>, the CLI's
        /// <c>--insecure</c>).</param>
        /// <param name="tokenHint">How this caller gives a token instead ("leave out --insecure and give --auth-token").</param>
        internal static string TlsAnswer(string address, string insecureHint, string tokenHint) =>
            $"{address} answered with TLS, which {insecureHint} does not use: it is a cluster started without --insecure ({tokenHint} the token its head printed; on the head's machine, the file orleansray_auth_token under $ORLEANSRAY_TEMP_DIR or /tmp/orleansray), or it is not an OrleansRay node";

        /// <summary>The server answered, but not with TLS (it closed the handshake or spoke something else): a cluster
        /// started with --insecure, or not a gateway at all (the client cannot tell which).</summary>
        internal static string PlainAnswer(string address, string insecureHint) =>
            $"{address} answered without TLS: it runs --insecure (then use {insecureHint}), or the address is not an OrleansRay gateway";

        /// <summary>No handshake got as far as a certificate: a node that does not answer (stopped, hung, overloaded), a
        /// cluster started with --insecure, or not a gateway at all (the client cannot tell which).</summary>
        internal static string NoTlsAnswer(string address, string insecureHint, TimeSpan? waited) =>
            $"no TLS answer from {address}{(waited is { } w ? " within " + Math.Round(w.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture) + " s" : string.Empty)}: the node is not responding (stopped, hung or overloaded: look at its process and its log on its machine), or it runs --insecure (then use {insecureHint}), or the address is not an OrleansRay gateway";
    }
}
