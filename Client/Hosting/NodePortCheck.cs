using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using OrleansRay.ObjectStore.Security;

namespace OrleansRay.Hosting;

/// <summary>Tells a node's silo port (<c>--node-port</c>, where nodes talk to each other) from a gateway (the head's
/// <c>--port</c>, where drivers connect) by who speaks first. Orleans' silo endpoint writes its connection preamble as
/// soon as it accepts a connection (<c>SiloConnection.RunInternal</c> writes and reads it at once), while a gateway
/// reads its client's preamble before it writes its own (<c>GatewayInboundConnection.RunInternal</c>). A connection
/// that sends nothing (after the TLS handshake, on a secured cluster) therefore hears from a silo port within a round
/// trip, and never from a gateway.</summary>
/// <remarks>An Orleans client pointed at a silo port is refused ("Unexpected client connection on silo endpoint") and
/// retries until its connect deadline, warning with stacks on every try; a driver runs this check beside its client's
/// start and gives up at once with one message instead.</remarks>
internal static class NodePortCheck
{
    /// <summary>True once the peer at <paramref name="endpoint"/> sends bytes before this side sent any (after a TLS
    /// handshake with <paramref name="credentials"/>' key when given; over plain TCP when null): it is a node's silo port.
    /// False when the connection is refused, fails or closes first, or when <paramref name="cancellationToken"/> is
    /// cancelled (the caller's client connected: a gateway).</summary>
    public static async Task<bool> SpeaksFirstAsync(IPEndPoint endpoint, ClusterCredentials? credentials, CancellationToken cancellationToken)
    {
        try
        {
            using var tcp = new TcpClient(endpoint.AddressFamily);
            await tcp.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
            Stream stream = tcp.GetStream();
            await using var ssl = credentials is null ? null : new SslStream(stream, leaveInnerStreamOpen: false);
            if (ssl is not null)
            {
                await ssl.AuthenticateAsClientAsync(credentials!.ClientOptions(), cancellationToken).ConfigureAwait(false);
                stream = ssl;
            }

            var buffer = new byte[1];
            return await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false) > 0;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Refused, closed, not TLS with this key, or cancelled: no verdict; the client's own connect decides.
            return false;
        }
    }

    /// <summary>The message of a driver given a node's silo port as its address: what the address is, and which one to
    /// give instead.</summary>
    public static string NotAGateway(string address) =>
        $"{address} is not a cluster's client (gateway) port: it answers as an OrleansRay node's silo port (a node's --node-port, which only nodes connect to). " +
        "Give the head's client port, its --port (default 30000; the Address `orleansray start --head` and `orleansray status` print), or \"auto\" on the head's machine.";
}
