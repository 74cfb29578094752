using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace OrleansRay.Silo.Cli;

/// <summary>Checks option values and turns bad ones into one-line usage errors that name the option.</summary>
internal static class OptionValues
{
    public static double? NonNegative(string option, double? value)
    {
        if (value is { } v && (v < 0 || double.IsNaN(v) || double.IsInfinity(v)))
        {
            throw CliException.Usage($"{option} {v.ToString(CultureInfo.InvariantCulture)}: must be a number >= 0.");
        }

        return value;
    }

    /// <summary>Checks a node's <c>--num-cpus</c> or <c>--num-gpus</c>: a whole number &gt;= 0, as Ray's <c>ray start</c>
    /// takes (an int). A node offers whole CPUs and GPUs; a fraction is what a task or actor asks for (<c>NumGpus = 0.5</c>),
    /// which the node's whole ones then hold several of.</summary>
    /// <param name="option">The option, for the message.</param>
    /// <param name="value">The value given; null when absent.</param>
    /// <param name="what">What it counts ("CPUs", "GPUs"), for the message.</param>
    public static double? WholeCount(string option, double? value, string what)
    {
        if (NonNegative(option, value) is { } v && v != Math.Floor(v))
        {
            throw CliException.Usage($"{option} {v.ToString(CultureInfo.InvariantCulture)}: give a whole number of {what} (e.g. {option} {Math.Ceiling(v).ToString(CultureInfo.InvariantCulture)}); a node offers whole {what}, and a task or actor asks for a fraction of one.");
        }

        return value;
    }

    public static long? NonNegative(string option, long? value)
    {
        if (value is < 0)
        {
            throw CliException.Usage($"{option} {value.Value.ToString(CultureInfo.InvariantCulture)}: must be a number of bytes >= 0.");
        }

        return value;
    }

    /// <summary>The smallest object store a node accepts: the store itself maps any size (an empty arena is one page),
    /// but below this it cannot hold a few large values (anything above the 100 KiB inline threshold goes there) and
    /// every put waits for room or fails. Ray refuses less than 75 MiB; tests and small machines use 64 MiB.</summary>
    public const long MinObjectStoreMemory = OrleansRay.RayOptions.MinObjectStoreMemory;

    /// <summary>The variable that moves the object store's arenas: Ray's <c>ray start --plasma-directory</c>.</summary>
    internal const string ArenaDirectoryVariable = "ORLEANSRAY_PLASMA_DIRECTORY";

    /// <summary>Where a node's object store keeps its arena, and where <c>stop</c> removes killed stores' arenas:
    /// <c>$ORLEANSRAY_PLASMA_DIRECTORY</c>, else <c>/dev/shm</c> (ObjectStoreOptions.ArenaDirectory's default), a tmpfs, so
    /// the store's bytes are RAM and can never be more than it holds.</summary>
    internal static string ArenaDirectory =>
        Environment.GetEnvironmentVariable(ArenaDirectoryVariable) is { Length: > 0 } given ? given : "/dev/shm";

    /// <summary>Checks <c>--object-store-memory</c>: absent (the default), or at least <see cref="MinObjectStoreMemory"/>
    /// and at most what this machine can hold (<see cref="MaxObjectStoreMemory"/>, or <paramref name="limit"/>).</summary>
    public static long? ObjectStoreMemory(long? value, (long Bytes, string What)? limit = null)
    {
        if (value is { } bytes && bytes < MinObjectStoreMemory)
        {
            throw CliException.Usage(
                $"--object-store-memory {bytes.ToString(CultureInfo.InvariantCulture)}: below the minimum of {MinObjectStoreMemory.ToString(CultureInfo.InvariantCulture)} bytes (32 MiB); the value is in bytes, e.g. --object-store-memory {(256L << 20).ToString(CultureInfo.InvariantCulture)} for 256 MiB, or leave it out for 30% of memory.");
        }

        if (value is { } large && (limit ?? MaxObjectStoreMemory()) is { } max && large > max.Bytes)
        {
            throw CliException.Usage(
                $"--object-store-memory {large.ToString(CultureInfo.InvariantCulture)}: more than this machine can hold, {max.What} ({max.Bytes.ToString(CultureInfo.InvariantCulture)} bytes, {(max.Bytes >> 20).ToString(CultureInfo.InvariantCulture)} MiB); give at most that (the value is in bytes), or leave it out for 30% of memory.");
        }

        return value;
    }

    /// <summary>The most bytes an object store on this machine can have: its arena lives in <see cref="ArenaDirectory"/>
    /// (a tmpfs, prefaulted at start), so no more than that file system's size, and no more than the memory this
    /// process may use (physical memory, or a container's limit). Null when neither can be read.</summary>
    public static (long Bytes, string What)? MaxObjectStoreMemory()
    {
        var memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        long shm = 0;
        try
        {
            shm = Directory.Exists(ArenaDirectory) ? new DriveInfo(ArenaDirectory).TotalSize : 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            // Unknown: physical memory is the bound.
        }

        return (memory, shm) switch
        {
            ( > 0, > 0) when shm < memory => (shm, $"the size of {ArenaDirectory}, where the store keeps its objects (a container's --shm-size)"),
            ( > 0, _) => (memory, "its memory"),
            (_, > 0) => (shm, $"the size of {ArenaDirectory}, where the store keeps its objects (a container's --shm-size)"),
            _ => null,
        };
    }

    /// <summary>Checks that <paramref name="address"/> (<c>--node-ip-address</c>) is one of this machine's: a loopback
    /// address or one of a network interface's (<paramref name="local"/>: those addresses, for tests). A node binds its
    /// ports there; another address fails the bind.</summary>
    /// <param name="given">The value as given.</param>
    /// <param name="address">The value resolved.</param>
    /// <param name="local">This machine's addresses (tests); null reads them.</param>
    /// <param name="option">The option, for the message.</param>
    /// <param name="alternative">What else the option takes, for the message.</param>
    public static IPAddress EnsureLocalAddress(string given, IPAddress address, IReadOnlyCollection<IPAddress>? local = null, string option = "--node-ip-address", string alternative = "`auto`")
    {
        ArgumentNullException.ThrowIfNull(address);
        if (IPAddress.IsLoopback(address))
        {
            return address;
        }

        local ??= System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .ToList();
        var plain = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        if (local.Any(a => a.AddressFamily == plain.AddressFamily && a.GetAddressBytes().AsSpan().SequenceEqual(plain.GetAddressBytes())))
        {
            return address;
        }

        var shown = given == address.ToString() ? given : $"{given} ({address})";
        throw CliException.Usage($"{option} {shown}: not an address of this machine (its addresses: {string.Join(", ", local.Where(a => !IPAddress.IsLoopback(a)).Select(a => a.ToString()).Prepend("127.0.0.1").Distinct())}); give one of them, or {alternative}.");
    }

    /// <summary>How long the probe of a cluster address waits for a TCP connection: a listening port answers in
    /// milliseconds, a refused one at once; only an address that drops packets uses it all.</summary>
    public static readonly TimeSpan ProbeDeadline = TimeSpan.FromSeconds(3);

    /// <summary>Fails with a one-line error, within <see cref="ProbeDeadline"/>, when nothing accepts a TCP connection
    /// at <paramref name="endpoint"/> (before an Orleans client spends its whole connect timeout finding that out).</summary>
    /// <param name="option">The option that gave the address, for the message.</param>
    /// <param name="address">The address as given.</param>
    /// <param name="endpoint">The address resolved.</param>
    /// <param name="cancellationToken">Cancels the probe.</param>
    public static async Task EnsureAnswersAsync(string option, string address, IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        string reason;
        try
        {
            using var client = new TcpClient(endpoint.AddressFamily);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(ProbeDeadline);
            await client.ConnectAsync(endpoint, deadline.Token).ConfigureAwait(false);
            return;
        }
        catch (SocketException ex)
        {
            reason = ex.SocketErrorCode == SocketError.ConnectionRefused ? "connection refused" : ex.Message;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            reason = $"no answer within {ProbeDeadline.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s";
        }

        throw new CliException($"{option} {address}: nothing answers at {address} ({reason}). Is the cluster running there? `orleansray start --head` starts one; the head prints its address.");
    }

    public static int Port(string option, int value)
    {
        if (value is < 1 or > 65535)
        {
            throw CliException.Usage($"{option} {value.ToString(CultureInfo.InvariantCulture)}: a TCP port is 1-65535.");
        }

        return value;
    }

    /// <summary>Parses <c>--resources '{"accel": 2}'</c>: a JSON object of names to non-negative numbers.</summary>
    public static IReadOnlyDictionary<string, double> Resources(string? json)
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(json))
        {
            return result;
        }

        const string Example = "Example: --resources '{\"accel\": 2}'";
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw CliException.Usage($"--resources: not valid JSON ({ex.Message.Split('.')[0]}). {Example}");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw CliException.Usage($"--resources: expected a JSON object of resource names to amounts. {Example}");
            }

            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (string.IsNullOrWhiteSpace(property.Name))
                {
                    throw CliException.Usage($"--resources: a resource name cannot be empty. {Example}");
                }

                if (property.Name is ResourceSet.Cpu or ResourceSet.Gpu or ResourceSet.Memory or ResourceSet.ObjectStoreMemory)
                {
                    throw CliException.Usage($"--resources: set {property.Name} with its own option (--num-cpus, --num-gpus, --memory, --object-store-memory).");
                }

                if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetDouble(out var amount) || amount < 0 || double.IsInfinity(amount))
                {
                    throw CliException.Usage($"--resources: \"{property.Name}\" must be a number >= 0, got {property.Value.GetRawText()}. {Example}");
                }

                result[property.Name] = amount;
            }
        }

        return result;
    }

    /// <summary>Parses "host:port" (an IPv4/IPv6 address or a host name).</summary>
    /// <exception cref="CliException">Exit code 2: a URL (the dashboard's, given where a gateway is wanted), no port
    /// after the last ':', or a port outside 1-65535 (each said in its own words).</exception>
    public static (string Host, int Port) HostPort(string option, string value)
    {
        if (value.Contains("://", StringComparison.Ordinal))
        {
            // Ray's `ray list` and `ray job` take the dashboard URL, so people give it here too.
            throw CliException.Usage(option == "--address"
                ? $"--address '{value}' is a URL: this command takes the cluster's gateway HOST:PORT, e.g. 127.0.0.1:30000 (the Address `orleansray start --head` and `orleansray status` print); the http:// dashboard URL is for the `orleansray job` verbs (job submit, list, status, logs, stop)."
                : $"{option} '{value}' is a URL: expected HOST:PORT, e.g. 127.0.0.1:30000.");
        }

        var colon = value.LastIndexOf(':');
        if (colon <= 0 || !long.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            throw CliException.Usage($"{option} '{value}': expected HOST:PORT, e.g. 127.0.0.1:30000.");
        }

        if (port is < 1 or > 65535)
        {
            throw CliException.Usage($"{option} '{value}': port {port.ToString(CultureInfo.InvariantCulture)} is out of range; a TCP port is 1-65535, e.g. 127.0.0.1:30000.");
        }

        return (value[..colon].Trim('[', ']'), (int)port);
    }

    /// <summary>The <c>--node-ip-address</c>: <c>auto</c> picks the first IPv4 address of an interface that is up and not
    /// loopback; anything else is an address or a host name (<see cref="Resolve"/>).</summary>
    public static IPAddress NodeAddress(string text)
    {
        if (!string.Equals(text, "auto", StringComparison.OrdinalIgnoreCase))
        {
            return Resolve("--node-ip-address", text);
        }

        var found = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus != System.Net.NetworkInformation.OperationalStatus.Down
                && n.NetworkInterfaceType != System.Net.NetworkInformation.NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        return found ?? throw CliException.Usage("--node-ip-address auto: this machine has no IPv4 address outside loopback; give the address other nodes reach this one at.");
    }

    /// <summary>The default <c>--node-ip-address</c> of a worker joining the head at <paramref name="address"/>
    /// ("host:port"), as Ray's: 127.0.0.1 when the head is on loopback; else this machine's address on the route to the
    /// head (a UDP socket connected there, which sends nothing, tells its local address), so the head and the other
    /// nodes reach this node where it reaches them.</summary>
    /// <exception cref="CliException">Exit code 2: the address is malformed or its host does not resolve; exit code 1:
    /// no route to it from this machine.</exception>
    public static IPAddress RouteTo(string option, string address)
    {
        var (host, port) = HostPort(option, address);
        var head = Resolve(option, host);
        if (IPAddress.IsLoopback(head))
        {
            return IPAddress.Loopback;
        }

        try
        {
            using var socket = new Socket(head.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            socket.Connect(new IPEndPoint(head, port));
            var local = ((IPEndPoint)socket.LocalEndPoint!).Address;
            return local.IsIPv4MappedToIPv6 ? local.MapToIPv4() : local;
        }
        catch (SocketException ex)
        {
            throw new CliException($"{option} {address}: this machine has no route to {head} ({ex.Message}); give --node-ip-address, the address the head reaches this machine at.");
        }
    }

    /// <summary>Resolves a host name or address to one IP address (IPv4 first).</summary>
    public static IPAddress Resolve(string option, string host)
    {
        if (IPAddress.TryParse(host, out var address))
        {
            return address;
        }

        try
        {
            var addresses = Dns.GetHostAddresses(host);
            return addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.First();
        }
        catch (Exception ex) when (ex is SocketException or InvalidOperationException)
        {
            throw CliException.Usage($"{option}: cannot resolve host '{host}' ({ex.Message}).");
        }
    }

    /// <summary>Fails with a one-line usage error naming the two options when two of a node's ports are the same.</summary>
    public static void EnsureDistinctPorts(IEnumerable<(string Option, int Port)> ports)
    {
        var seen = new Dictionary<int, string>();
        foreach (var (option, port) in ports)
        {
            if (!seen.TryAdd(port, option))
            {
                throw CliException.Usage($"{seen[port]} and {option} are both {port.ToString(CultureInfo.InvariantCulture)}: give them different ports.");
            }
        }
    }

    /// <summary>Fails with a one-line error when something already listens on the port.</summary>
    /// <param name="option">The port's option, for the message.</param>
    /// <param name="address">Where the node would listen.</param>
    /// <param name="port">The port.</param>
    /// <param name="addressOption">The option that gave <paramref name="address"/>, for the message.</param>
    public static void EnsurePortFree(string option, IPAddress address, int port, string addressOption = "--node-ip-address")
    {
        try
        {
            using var listener = new TcpListener(address, port);
            listener.Start();
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new CliException($"{option} {port.ToString(CultureInfo.InvariantCulture)}: the port is in use (a node already running? see `orleansray status`, `orleansray stop`), or pick another {option}.");
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressNotAvailable)
        {
            throw CliException.Usage($"{addressOption} {address}: not an address of this machine.");
        }
    }

    /// <summary>True when nothing listens on <paramref name="port"/> at <paramref name="address"/> right now.</summary>
    public static bool IsPortFree(IPAddress address, int port)
    {
        try
        {
            using var listener = new TcpListener(address, port);
            listener.Start();
            return true;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            return false;
        }
    }

    /// <summary>A port nobody listens on right now, chosen below the kernel's ephemeral range (32768 and up on Linux).</summary>
    /// <remarks>The node binds it only later, in its own process. A port from the ephemeral range could be taken
    /// meanwhile by any outgoing connection or port-0 listener, such as the node's own object store, which binds its
    /// transfer port just before the silo binds this one. So the port is picked at random from 20000–32767 and checked
    /// free; the OS's choice is the fallback.</remarks>
    public static int FreePort(IPAddress address)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = Random.Shared.Next(20_000, 32_768);
            if (IsPortFree(address, port))
            {
                return port;
            }
        }

        using var listener = new TcpListener(address, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
