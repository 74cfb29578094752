using System.Net;
using System.Net.Sockets;
using OrleansRay.Hosting;
using OrleansRay.ObjectStore.Security;
using Xunit;

namespace OrleansRay.Tests.Hosting;

/// <summary>The probe a driver or a CLI command makes before connecting (<see cref="ClusterTls.ProbeAsync"/>): a
/// gateway that accepts and says nothing in time is <see cref="ClusterTls.ProbeResult.Slow"/>, never
/// <see cref="ClusterTls.ProbeResult.Plain"/>. Under load a just-started head once took longer than the probe's deadline
/// for its first handshake, and a worker's start failed saying the head "did not answer TLS". Each test's listener is
/// stopped by the test.</summary>
public sealed class ClusterTlsProbeTests
{
    private static readonly TimeSpan ShortHandshake = TimeSpan.FromMilliseconds(300);

    [Fact]
    public async Task A_gateway_that_accepts_and_stays_silent_is_slow_not_plain()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var accepted = listener.AcceptSocketAsync();
        using var credentials = ClusterCredentials.FromToken(ClusterCredentials.NewToken());

        var result = await ClusterTls.ProbeAsync((IPEndPoint)listener.LocalEndpoint, credentials, CancellationToken.None, ShortHandshake)
            .WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(ClusterTls.ProbeResult.Slow, result);
        (await accepted).Dispose();
    }

    [Fact]
    public async Task A_gateway_that_closes_on_the_handshake_is_plain()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var closing = CloseFirstConnectionAsync(listener);
        using var credentials = ClusterCredentials.FromToken(ClusterCredentials.NewToken());

        var result = await ClusterTls.ProbeAsync((IPEndPoint)listener.LocalEndpoint, credentials, CancellationToken.None, TimeSpan.FromSeconds(20))
            .WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(ClusterTls.ProbeResult.Plain, result);
        await closing;
    }

    [Fact]
    public async Task A_port_where_nothing_listens_is_nothing()
    {
        var endpoint = FreeLoopbackEndpoint();
        using var credentials = ClusterCredentials.FromToken(ClusterCredentials.NewToken());

        var result = await ClusterTls.ProbeAsync(endpoint, credentials, CancellationToken.None, ShortHandshake).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(ClusterTls.ProbeResult.Nothing, result);
    }

    /// <summary>As an insecure Orleans gateway does with a TLS hello (its preamble length check): reads and closes.</summary>
    private static async Task CloseFirstConnectionAsync(TcpListener listener)
    {
        using var socket = await listener.AcceptSocketAsync();
        var buffer = new byte[16];
        _ = await socket.ReceiveAsync(buffer, SocketFlags.None);
        socket.Shutdown(SocketShutdown.Both);
    }

    private static IPEndPoint FreeLoopbackEndpoint()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var endpoint = (IPEndPoint)probe.LocalEndpoint;
        probe.Stop();
        return endpoint;
    }
}
