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
/// to another test running beside it. Test assemblies run side by side in processes of their own, so a port is also
/// reserved across processes, by a lock on a file named after it (<see cref="TryReserve"/>) held until this process
/// exits: two processes that both found a port free can no longer both be given it (a node's "Address already in
/// use" at start, seen once in session 30 when two test processes picked the same port within a moment).
/// </remarks>
internal static class TestPorts
{
    private const int Low = 12_000;
    private const int High = 20_000;
    private static readonly HashSet<int> Given = [];

    /// <summary>The reservations this process holds: each port's lock file, open with no sharing until the process
    /// exits (the operating system then releases the lock; the file may stay).</summary>
    private static readonly List<FileStream> Reservations = [];

    /// <summary>Where the lock files live; made, and their release at exit hooked, once per process.</summary>
    private static readonly string ReservationFolder = PrepareReservations();

    private static string PrepareReservations()
    {
        var folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "orleansray-test-ports")).FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Release();
        return folder;
    }

    /// <summary>A port below the ephemeral range that nobody listens on right now and this process has not been given.</summary>
    public static int Free()
    {
        lock (Given)
        {
            for (var attempt = 0; attempt < 1_000; attempt++)
            {
                var port = Random.Shared.Next(Low, High);
                if (!Given.Contains(port) && CanBind(port) && TryReserve(port))
                {
                    Given.Add(port);
                    return port;
                }
            }
        }

        throw new InvalidOperationException($"No free port between {Low} and {High} after 1,000 tries.");
    }

    /// <summary>True when no other test process holds <paramref name="port"/>; it is then this process's until it exits.</summary>
    private static bool TryReserve(int port)
    {
        try
        {
            Reservations.Add(new FileStream(Path.Combine(ReservationFolder, port.ToString(System.Globalization.CultureInfo.InvariantCulture)), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            return true;
        }
        catch (IOException)
        {
            return false; // another test process holds it
        }
    }

    /// <summary>At exit: deletes this process's lock files, each while still holding its lock (so a process that opens
    /// the name meanwhile either finds it locked or makes a new file of its own), then closes them.</summary>
    private static void Release()
    {
        lock (Given)
        {
            foreach (var reservation in Reservations)
            {
                try
                {
                    File.Delete(reservation.Name);
                }
                catch (IOException)
                {
                    // Left for the next reservation of that port to reuse.
                }

                reservation.Dispose();
            }

            Reservations.Clear();
        }
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
