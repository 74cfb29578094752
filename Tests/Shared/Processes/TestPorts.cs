using System.Net;
using System.Net.Sockets;

namespace OrleansRay.Tests.Processes;

/// <summary>Ports for test nodes, dashboards and stores.</summary>
/// <remarks>
/// Not the kernel's "port 0" choice: that comes from the ephemeral range (ip_local_port_range, 32768–60999 here), where
/// every outgoing connection of every process (Orleans clients, PostgreSQL, the browser) also takes its local port, so a
/// port that was free when asked for could be some connection's by the time a node binds it ("Address already in use",
/// issue 9 case 16). These ports come from below that range, at random, are checked free on every address, and are
/// never handed out twice in one process. They also stay below 20000, where the `orleansray` command picks the ports a
/// test leaves to it (<c>OptionValues.FreePort</c>: 20000–32767), so a node of one test never takes a port just given
/// to another test running beside it.
/// </remarks>
internal static class TestPorts
{
    private const int Low = 12_000;
    private const int High = 20_000;
    private static readonly HashSet<int> Given = [];

    /// <summary>A port below the ephemeral range that nobody listens on right now and this process has not been given.</summary>
    public static int Free()
    {
        lock (Given)
        {
            for (var attempt = 0; attempt < 1_000; attempt++)
            {
                var port = Random.Shared.Next(Low, High);
                if (!Given.Contains(port) && CanBind(port))
                {
                    Given.Add(port);
                    return port;
                }
            }
        }

        throw new InvalidOperationException($"No free port between {Low} and {High} after 1,000 tries.");
    }

    private static bool CanBind(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Any, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
