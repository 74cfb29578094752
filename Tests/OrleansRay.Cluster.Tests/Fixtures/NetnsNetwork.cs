using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using OrleansRay.Tests.Processes;

namespace OrleansRay.Cluster.Tests.Fixtures;

/// <summary>A private network of network namespaces on this machine, as a compose project's network: one bridge, one
/// namespace per container with a veth pair into the bridge (its end named eth0), one address each in a /24 no route of
/// this machine uses, <c>lo</c> up, service names in <c>/etc/netns/NS/hosts</c> (which <c>ip netns exec</c> mounts over
/// /etc/hosts). The bridge has no address, there is no default route and no NAT: nothing leaves the bridge.</summary>
/// <remarks>Names are unique per run: <c>orrXXXXXX</c> (6 hex) for the bridge and the run's folder under /tmp,
/// <c>orrXXXXXX-NAME</c> for namespaces, <c>orrXXXXXXhN</c> for the host ends of veths. The folder holds an owner file
/// (pid and start time of the test process) written before anything is created, so <see cref="RemoveLeftovers"/> removes
/// what a crashed run left only when its owner is gone. Dispose kills every process of every namespace (by pid, from
/// <c>ip netns pids</c>), then deletes namespaces, veths, the bridge, the hosts folders and the run's folder.</remarks>
public sealed partial class NetnsNetwork : IAsyncDisposable
{
    public const string Prefix = "orr";
    private static readonly TimeSpan CommandDeadline = TimeSpan.FromSeconds(30);
    private readonly List<string> _namespaces = [];
    private readonly Dictionary<string, IPAddress> _addresses = new(StringComparer.Ordinal);

    private NetnsNetwork(string id, string root, int subnet2, int subnet3)
    {
        Id = id;
        Root = root;
        Subnet = new IPAddress(new byte[] { 10, (byte)subnet2, (byte)subnet3, 0 });
    }

    /// <summary>The run's id, <c>orr</c> + 6 hex: the bridge's name.</summary>
    public string Id { get; }

    /// <summary>The run's folder (/tmp/orrXXXXXX): temp folders of every namespace's processes.</summary>
    public string Root { get; }

    /// <summary>The network address of the /24.</summary>
    public IPAddress Subnet { get; }

    public string SubnetCidr => $"{Subnet}/24";

    public string Bridge => Id;

    public IPAddress AddressOf(string name) => _addresses[name];

    public string Namespace(string name) => $"{Id}-{name}";

    /// <summary>Removes leftovers of earlier runs whose owning process is gone, then makes the bridge.</summary>
    public static async Task<NetnsNetwork> CreateAsync()
    {
        await RemoveLeftovers();
        var id = Prefix + Convert.ToHexString(RandomNumberGenerator.GetBytes(3)).ToLowerInvariant();
        var root = Path.Combine("/tmp", id);
        Directory.CreateDirectory(root);
        var self = ProcessTree.Identify(Environment.ProcessId, "test process")!.Value;
        await File.WriteAllTextAsync(Path.Combine(root, "owner"), string.Create(CultureInfo.InvariantCulture, $"{self.Pid} {self.StartTicks}\n"));
        var (b, c) = await FreeSubnetAsync();
        var network = new NetnsNetwork(id, root, b, c);
        try
        {
            await Ip("link", "add", network.Bridge, "type", "bridge");
            await Ip("link", "set", network.Bridge, "up");
            return network;
        }
        catch
        {
            await network.DisposeAsync();
            throw;
        }
    }

    /// <summary>Adds a namespace (a "container") with address .(<paramref name="host"/>) and the given host names
    /// (service name → namespace name) in its /etc/hosts, its own name included.</summary>
    public async Task<string> AddAsync(string name, int host)
    {
        var ns = Namespace(name);
        var address = new IPAddress(new byte[] { 10, Subnet.GetAddressBytes()[1], Subnet.GetAddressBytes()[2], (byte)host });
        var index = _namespaces.Count.ToString(CultureInfo.InvariantCulture);
        var outer = $"{Id}h{index}";
        var inner = $"{Id}n{index}";
        _namespaces.Add(ns);
        _addresses[name] = address;
        await Ip("netns", "add", ns);
        await Ip("link", "add", outer, "type", "veth", "peer", "name", inner);
        await Ip("link", "set", inner, "netns", ns);
        await Ip("link", "set", outer, "master", Bridge);
        await Ip("link", "set", outer, "up");
        await Ip("-n", ns, "link", "set", inner, "name", "eth0");
        await Ip("-n", ns, "addr", "add", $"{address}/24", "dev", "eth0");
        await Ip("-n", ns, "link", "set", "eth0", "up");
        await Ip("-n", ns, "link", "set", "lo", "up");
        return ns;
    }

    /// <summary>Writes /etc/netns/NS/hosts of every namespace: localhost, the given service names, the namespace's own
    /// host name (as Docker's /etc/hosts has the container's).</summary>
    public async Task WriteHostsAsync(IReadOnlyDictionary<string, string> serviceToName, Func<string, string> hostNameOf)
    {
        foreach (var name in _addresses.Keys)
        {
            var folder = Path.Combine("/etc/netns", Namespace(name));
            Directory.CreateDirectory(folder);
            var text = new StringBuilder("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
            foreach (var (service, target) in serviceToName)
            {
                text.Append(CultureInfo.InvariantCulture, $"{_addresses[target]}\t{service}\n");
            }

            text.Append(CultureInfo.InvariantCulture, $"{_addresses[name]}\t{hostNameOf(name)}\n");
            await File.WriteAllTextAsync(Path.Combine(folder, "hosts"), text.ToString());
        }
    }

    /// <summary>Pids of every process in the namespace now.</summary>
    public static async Task<IReadOnlyList<int>> PidsAsync(string ns)
    {
        var result = await ProcessRunner.RunAsync("ip", ["netns", "pids", ns], CommandDeadline);
        return result.ExitCode != 0
            ? []
            : result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToList();
    }

    /// <summary>kill -9 of every process in the namespace, until none is left (new children included).</summary>
    public static async Task KillAllAsync(string ns, TimeSpan deadline)
    {
        var end = DateTime.UtcNow + deadline;
        while (true)
        {
            var pids = await PidsAsync(ns);
            var live = pids.Where(p => ProcessTree.Identify(p, "x") is not null && !IsZombie(p)).ToList();
            if (live.Count == 0)
            {
                return;
            }

            if (DateTime.UtcNow > end)
            {
                throw new TimeoutException($"processes {string.Join(", ", live)} of namespace {ns} survive kill -9");
            }

            foreach (var pid in live)
            {
                await ProcessRunner.RunAsync("kill", ["-9", pid.ToString(CultureInfo.InvariantCulture)], CommandDeadline);
            }

            await Task.Delay(100);
        }
    }

    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] == 'Z';
        }
        catch (IOException)
        {
            return true;
        }
    }

    public async ValueTask DisposeAsync()
    {
        var errors = new List<string>();
        foreach (var ns in _namespaces)
        {
            try
            {
                await KillAllAsync(ns, TimeSpan.FromSeconds(20));
            }
            catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
            {
                errors.Add(ex.Message);
            }
        }

        await RemoveAsync(Id, _namespaces, errors);
        if (errors.Count > 0)
        {
            throw new InvalidOperationException("cleanup of the namespace network: " + string.Join("; ", errors));
        }
    }

    /// <summary>Deletes a run's namespaces (after killing their processes), veths, bridge, hosts folders and folder.</summary>
    private static async Task RemoveAsync(string id, IEnumerable<string> namespaces, List<string> errors)
    {
        foreach (var ns in namespaces)
        {
            // Deleting the namespace deletes its veth end, and with it the pair.
            var del = await ProcessRunner.RunAsync("ip", ["netns", "del", ns], CommandDeadline);
            if (del.ExitCode != 0 && !del.Error.Contains("No such file", StringComparison.Ordinal))
            {
                errors.Add($"ip netns del {ns}: {del.Error.Trim()}");
            }

            var hosts = Path.Combine("/etc/netns", ns);
            if (Directory.Exists(hosts))
            {
                Directory.Delete(hosts, recursive: true);
            }
        }

        // Veths whose namespace side is gone already went with it; any other of this run's goes now.
        foreach (var link in await LinksAsync())
        {
            if (link.StartsWith(id, StringComparison.Ordinal) && link != id)
            {
                await ProcessRunner.RunAsync("ip", ["link", "del", link], CommandDeadline);
            }
        }

        if ((await LinksAsync()).Contains(id))
        {
            var del = await ProcessRunner.RunAsync("ip", ["link", "del", id], CommandDeadline);
            if (del.ExitCode != 0)
            {
                errors.Add($"ip link del {id}: {del.Error.Trim()}");
            }
        }

        var root = Path.Combine("/tmp", id);
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Removes what earlier runs left (by name: orrXXXXXX) when their owner process is gone: kills their
    /// namespaces' processes and deletes everything <see cref="DisposeAsync"/> would have.</summary>
    public static async Task RemoveLeftovers()
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var namespaces = (await ProcessRunner.RunAsync("ip", ["netns", "list"], CommandDeadline)).Output
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0]).ToList();
        foreach (var ns in namespaces)
        {
            if (RunName().Match(ns) is { Success: true } m)
            {
                ids.Add(m.Groups[1].Value);
            }
        }

        foreach (var link in await LinksAsync())
        {
            if (RunName().Match(link) is { Success: true } m)
            {
                ids.Add(m.Groups[1].Value);
            }
        }

        foreach (var folder in Directory.EnumerateDirectories("/tmp", Prefix + "*").Concat(Directory.Exists("/etc/netns") ? Directory.EnumerateDirectories("/etc/netns", Prefix + "*") : []))
        {
            if (RunName().Match(Path.GetFileName(folder)) is { Success: true } m)
            {
                ids.Add(m.Groups[1].Value);
            }
        }

        foreach (var id in ids)
        {
            if (OwnerAlive(id))
            {
                continue;
            }

            var own = namespaces.Where(n => n.StartsWith(id + "-", StringComparison.Ordinal)).ToList();
            foreach (var ns in own)
            {
                await KillAllAsync(ns, TimeSpan.FromSeconds(20));
            }

            var errors = new List<string>();
            var hostsFolders = Directory.Exists("/etc/netns") ? Directory.EnumerateDirectories("/etc/netns", id + "-*").Select(Path.GetFileName).OfType<string>() : [];
            await RemoveAsync(id, own.Union(hostsFolders), errors);
        }
    }

    private static bool OwnerAlive(string id)
    {
        var root = Path.Combine("/tmp", id);
        if (Directory.Exists(root) && DateTime.UtcNow - Directory.GetCreationTimeUtc(root) < TimeSpan.FromSeconds(30) && !File.Exists(Path.Combine(root, "owner")))
        {
            // Just made by a run that is writing its owner file right now.
            return true;
        }

        try
        {
            var parts = File.ReadAllText(Path.Combine("/tmp", id, "owner")).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var owner = new ProcessTree.Identity(int.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture), "owner");
            return ProcessTree.IsRunning(owner);
        }
        catch (Exception ex) when (ex is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException)
        {
            // No owner file: the run is gone (it writes the file before creating anything, deletes it last).
            return false;
        }
    }

    private static async Task<List<string>> LinksAsync()
    {
        var result = await ProcessRunner.RunAsync("ip", ["-o", "link", "show"], CommandDeadline);
        // "7: name@peer: <...>" or "7: name: <...>"
        return result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(':')[1].Trim().Split('@')[0])
            .ToList();
    }

    /// <summary>A 10.X.Y.0/24 that neither a route nor an address of this machine overlaps.</summary>
    private static async Task<(int, int)> FreeSubnetAsync()
    {
        var routes = (await ProcessRunner.RunAsync("ip", ["-4", "route", "show", "table", "all"], CommandDeadline)).Output
            + (await ProcessRunner.RunAsync("ip", ["-4", "-o", "addr"], CommandDeadline)).Output;
        var taken = new List<(uint Network, uint Mask)>();
        foreach (Match m in Cidr().Matches(routes))
        {
            var bits = m.Groups[2].Success ? int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) : 32;
            var mask = bits == 0 ? 0u : uint.MaxValue << (32 - bits);
            taken.Add((ToUInt(IPAddress.Parse(m.Groups[1].Value)) & mask, mask));
        }

        for (var attempt = 0; attempt < 200; attempt++)
        {
            var b = RandomNumberGenerator.GetInt32(16, 250);
            var c = RandomNumberGenerator.GetInt32(1, 250);
            var network = ToUInt(new IPAddress(new byte[] { 10, (byte)b, (byte)c, 0 }));
            // Overlap: either contains the other. A default route (0/0) is no clash: nothing here uses it.
            if (taken.All(t => t.Mask == 0 || ((network & t.Mask) != t.Network && (t.Network & 0xFFFFFF00u) != network)))
            {
                return (b, c);
            }
        }

        throw new InvalidOperationException("no free 10.X.Y.0/24 for the test network");
    }

    private static uint ToUInt(IPAddress address)
    {
        var b = address.GetAddressBytes();
        return ((uint)b[0] << 24) | ((uint)b[1] << 16) | ((uint)b[2] << 8) | b[3];
    }

    public static async Task Ip(params string[] arguments)
    {
        var result = await ProcessRunner.RunAsync("ip", arguments, CommandDeadline);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', arguments)}: {result}");
        }
    }

    [GeneratedRegex(@"^(orr[0-9a-f]{6})(?:$|-|h\d|n\d)")]
    private static partial Regex RunName();

    [GeneratedRegex(@"\b(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})(?:/(\d{1,2}))?\b")]
    private static partial Regex Cidr();
}
