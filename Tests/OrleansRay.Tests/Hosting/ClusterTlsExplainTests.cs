using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OrleansRay.Hosting;
using OrleansRay.ObjectStore.Security;
using Xunit;

namespace OrleansRay.Tests.Hosting;

/// <summary>What a client says when TLS to a gateway failed (<see cref="ClusterTls.HandshakeOutcome.Explain"/>): true
/// for every case it cannot tell apart, in one line. No answer at all is a node that does not respond as much as one
/// started with --insecure; a certificate of another key is another cluster's token as much as a TLS service that is
/// not OrleansRay (which the probe, too, only sees as another key).</summary>
public sealed class ClusterTlsExplainTests
{
    [Fact]
    public void No_tls_answer_names_the_wait_a_node_not_responding_and_insecure_in_one_line()
    {
        var outcome = new ClusterTls.HandshakeOutcome();

        var why = outcome.Explain("10.0.0.5:30000", "RayOptions.AuthToken", "--insecure", TimeSpan.FromSeconds(25.4));

        Assert.Equal(
            "no TLS answer from 10.0.0.5:30000 within 25 s: the node is not responding (stopped, hung or overloaded: look at its process and its log on its machine), or it runs --insecure (then use --insecure), or the address is not an OrleansRay gateway",
            why);
        Assert.Contains("then use Insecure = true (CLI: --insecure)", outcome.Explain("h:1", "RayOptions.AuthToken"), StringComparison.Ordinal);
        Assert.DoesNotContain("within", outcome.Explain("h:1", "RayOptions.AuthToken"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_foreign_certificate_is_another_token_or_not_an_orleansray_node_and_our_own_is_no_tls_problem()
    {
        var foreign = new ClusterTls.HandshakeOutcome();
        foreign.Saw(ours: false);
        var why = foreign.Explain("h:1", "RayOptions.AuthToken");

        Assert.NotNull(why);
        Assert.StartsWith("h:1 presented a certificate that is not this cluster's: it holds another auth token than the one from RayOptions.AuthToken (", why, StringComparison.Ordinal);
        Assert.EndsWith("), or it is not an OrleansRay node", why, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', why);

        var ours = new ClusterTls.HandshakeOutcome();
        ours.Saw(ours: true);
        Assert.Null(ours.Explain("h:1", "RayOptions.AuthToken"));
    }

    /// <summary>The driver's checks after its TLS probe, before it connects (<see cref="ConnectedCluster.TlsProblem"/>),
    /// word each problem as a failed connection is explained: what the server did, then every cause the driver cannot
    /// tell apart with what to do, in one line.</summary>
    [Fact]
    public void The_drivers_probe_checks_say_what_the_server_did_each_cause_and_what_to_do_in_one_line()
    {
        // Another key: exactly what Explain says after a failed connection.
        var foreign = new ClusterTls.HandshakeOutcome();
        foreign.Saw(ours: false);
        var otherKey = ConnectedCluster.TlsProblem(ClusterTls.ProbeResult.OtherKey, "h:1", insecure: false, "$ORLEANSRAY_AUTH_TOKEN");
        Assert.Equal(foreign.Explain("h:1", "$ORLEANSRAY_AUTH_TOKEN"), otherKey);
        Assert.StartsWith("h:1 presented a certificate that is not this cluster's: it holds another auth token than the one from $ORLEANSRAY_AUTH_TOKEN (use the token its head printed", otherKey, StringComparison.Ordinal);

        // An answer without TLS to a driver with a token: an --insecure cluster or no gateway, as NoTlsAnswer words them.
        var plain = ConnectedCluster.TlsProblem(ClusterTls.ProbeResult.Plain, "h:1", insecure: false, "RayOptions.AuthToken");
        Assert.Equal("h:1 answered without TLS: it runs --insecure (then use Insecure = true (CLI: --insecure)), or the address is not an OrleansRay gateway", plain);
        Assert.EndsWith(", or it runs --insecure (then use Insecure = true (CLI: --insecure)), or the address is not an OrleansRay gateway", new ClusterTls.HandshakeOutcome().Explain("h:1", "RayOptions.AuthToken"), StringComparison.Ordinal);

        // TLS to a driver with Insecure = true: without a token any certificate looks alike, so both causes.
        var tls = ConnectedCluster.TlsProblem(ClusterTls.ProbeResult.Tls, "h:1", insecure: true, "Insecure");
        Assert.NotNull(tls);
        Assert.StartsWith("h:1 answered with TLS, which Insecure = true does not use: it is a cluster started without --insecure (leave Insecure false and give RayOptions.AuthToken or $ORLEANSRAY_AUTH_TOKEN the token its head printed; on the head's machine, the file orleansray_auth_token under ", tls, StringComparison.Ordinal);
        Assert.EndsWith("), or it is not an OrleansRay node", tls, StringComparison.Ordinal);

        foreach (var message in new[] { otherKey, plain, tls })
        {
            Assert.DoesNotContain('\n', message!);
        }

        // What the driver can connect to, or cannot judge yet (a slow node), is no problem here.
        Assert.Null(ConnectedCluster.TlsProblem(ClusterTls.ProbeResult.Tls, "h:1", insecure: false, "RayOptions.AuthToken"));
        Assert.Null(ConnectedCluster.TlsProblem(ClusterTls.ProbeResult.Plain, "h:1", insecure: true, "Insecure"));
        Assert.Null(ConnectedCluster.TlsProblem(ClusterTls.ProbeResult.Slow, "h:1", insecure: false, "RayOptions.AuthToken"));
        Assert.Null(ConnectedCluster.TlsProblem(ClusterTls.ProbeResult.Slow, "h:1", insecure: true, "Insecure"));
    }

    /// <summary>Any TLS service (here a self-signed server, like <c>openssl s_server</c>) is another key to the probe:
    /// hence the message names both causes.</summary>
    [Fact]
    public async Task A_tls_service_that_is_not_orleansray_probes_as_another_key()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = new CertificateRequest("CN=not-orleansray", key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(1));
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var serve = ServeOnceAsync(listener, certificate);
            using var credentials = ClusterCredentials.FromToken(ClusterCredentials.NewToken());

            var result = await ClusterTls.ProbeAsync((IPEndPoint)listener.LocalEndpoint, credentials, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Equal(ClusterTls.ProbeResult.OtherKey, result);
            await serve.WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            listener.Stop();
        }
    }

    private static async Task ServeOnceAsync(TcpListener listener, X509Certificate2 certificate)
    {
        using var client = await listener.AcceptTcpClientAsync();
        await using var tls = new SslStream(client.GetStream());
        try
        {
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate });
        }
        catch (Exception ex) when (ex is System.Security.Authentication.AuthenticationException or IOException)
        {
            // The probe rejects the certificate and leaves.
        }
    }
}
