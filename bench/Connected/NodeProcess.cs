using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using OrleansRay.Bench.Core;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Connected;

/// <summary>An OrleansRay node in a process of its own, started and stopped as a user does it: <c>orleansray start
/// --head</c>, or <c>orleansray start --address HEAD</c> for a worker joining a head (the Silo project's build output,
/// built before the bench), on free loopback ports with this bench's assembly loaded (<c>--load</c>, so the node runs
/// the benchmarks' functions and actors), then <c>orleansray stop</c>; the command's files live in a private
/// <c>ORLEANSRAY_TEMP_DIR</c> per node, so stopping one node stops only that one.</summary>
/// <remarks>Cleanup does not rely on <c>stop</c> alone: the node and its object store process are tracked by pid and
/// killed if they outlive it, the folder is deleted, and a process exit of the bench kills the node too (it runs in a
/// session of its own, out of reach of the terminal's Ctrl+C). The warnings and errors the node logged are passed on to
/// stderr before its logs go.</remarks>
internal sealed partial class NodeProcess : IAsyncDisposable
{
    /// <summary>How long one <c>orleansray</c> command may take (a node is up in 2–4 s on an idle machine; a clean
    /// stop takes 1–2 s, the command's own SIGKILL deadline is 15 s).</summary>
    private static readonly TimeSpan CommandDeadline = TimeSpan.FromSeconds(90);

    /// <summary>Bytes of the node's object store unless a benchmark asks for more: small, the task and actor benchmarks
    /// store nothing (small values stay inline). The store commits its pages on first use, so a larger store costs
    /// memory only once objects are put into it.</summary>
    public const long DefaultObjectStoreMemory = 256L << 20;

    private const int ReportedLogLines = 20;

    private readonly string _tempDirectory;
    private readonly List<Process> _processes;
    private readonly EventHandler _killOnExit;

    private NodeProcess(string tempDirectory, int port, int nodePort, List<Process> processes)
    {
        _tempDirectory = tempDirectory;
        Port = port;
        NodePort = nodePort;
        _processes = processes;
        _killOnExit = (_, _) => KillAll();
        AppDomain.CurrentDomain.ProcessExit += _killOnExit;
    }

    /// <summary>The node's client (gateway) port.</summary>
    public int Port { get; }

    /// <summary>What a driver passes as <c>RayOptions.Address</c>.</summary>
    public string Address => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port}");

    /// <summary>The port nodes talk to each other on: the node's id (its silo address) starts with it.</summary>
    public int NodePort { get; }

    /// <summary>True when <paramref name="nodeId"/> (from <c>NodesAsync</c> or <c>RayContext.NodeId</c>) names this
    /// node: a node id is its silo address, "127.0.0.1:NODEPORT@GENERATION".</summary>
    public bool Owns(NodeId nodeId) =>
        nodeId.Value.StartsWith(string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{NodePort}@"), StringComparison.Ordinal);

    /// <summary>The Unix socket of the node's object store process (<c>SESSION/store/PORT/store.sock</c>): the bench
    /// connects to it directly to check where objects are.</summary>
    /// <exception cref="FileNotFoundException">The node has no store socket (it runs without a store).</exception>
    public string StoreSocketPath()
    {
        var tail = Path.Combine("store", Port.ToString(CultureInfo.InvariantCulture), "store.sock");
        // Not through session_latest, a link to the same session folder: one path for one socket.
        var search = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint };
        return Directory.EnumerateFiles(_tempDirectory, "store.sock", search)
                   .FirstOrDefault(f => f.EndsWith(tail, StringComparison.Ordinal))
               ?? throw new FileNotFoundException($"No object store socket of the node at {Address} under {_tempDirectory}.");
    }

    /// <summary>Starts a head node offering <paramref name="numCpus"/> CPUs; returns once <c>start</c> says it is up.</summary>
    public static Task<NodeProcess> StartHeadAsync(double numCpus, long objectStoreMemory = DefaultObjectStoreMemory) =>
        StartAsync(headAddress: null, numCpus, objectStoreMemory);

    /// <summary>Starts a worker node joining the head at <paramref name="headAddress"/> (its client address, as
    /// <see cref="Address"/>) offering <paramref name="numCpus"/> CPUs; returns once <c>start</c> says it is up.</summary>
    public static Task<NodeProcess> StartWorkerAsync(string headAddress, double numCpus, long objectStoreMemory = DefaultObjectStoreMemory) =>
        StartAsync(headAddress, numCpus, objectStoreMemory);

    private static async Task<NodeProcess> StartAsync(string? headAddress, double numCpus, long objectStoreMemory)
    {
        // Short: the node's object store puts its Unix socket below this folder (at most 107 bytes).
        var tempDirectory = Path.Combine(Path.GetTempPath(), "orb-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(tempDirectory);
        var ports = new HashSet<int>();
        while (ports.Count < 3)
        {
            ports.Add(BenchHosts.FreePort());
        }

        var (port, nodePort, dashboardPort) = (ports.ElementAt(0), ports.ElementAt(1), ports.ElementAt(2));
        var node = new NodeProcess(tempDirectory, port, nodePort, new List<Process>());
        var arguments = new List<string> { "start" };
        // The dashboard is the head's alone.
        arguments.AddRange(headAddress is null
            ? ["--head", "--dashboard-port", dashboardPort.ToString(CultureInfo.InvariantCulture)]
            : ["--address", headAddress]);
        arguments.AddRange([
            "--port", port.ToString(CultureInfo.InvariantCulture),
            "--node-port", nodePort.ToString(CultureInfo.InvariantCulture),
            "--num-cpus", numCpus.ToString(CultureInfo.InvariantCulture),
            "--object-store-memory", objectStoreMemory.ToString(CultureInfo.InvariantCulture),
            "--load", typeof(NodeProcess).Assembly.Location,
        ]);
        try
        {
            var (exitCode, output) = await node.RunCommandAsync([.. arguments]);
            // Tracked before the exit code is looked at: a node that is up but whose start "failed" still goes.
            node.Track();
            if (exitCode != 0 || node._processes.Count == 0)
            {
                throw new InvalidOperationException($"orleansray start {(headAddress is null ? "--head" : "--address " + headAddress)} failed (exit code {exitCode.ToString(CultureInfo.InvariantCulture)}):\n{output}\n{node.LogLines(_ => true, 40)}");
            }

            return node;
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    /// <summary>The sum of the peak resident memory (VmHWM in /proc/PID/status, bytes) of this node's processes (the node
    /// and its object store), each over its life so far; 0 where /proc does not have it. Peaks of different processes
    /// need not coincide, so the sum bounds their joint peak from above.</summary>
    public long PeakResidentBytes()
    {
        long total = 0;
        foreach (var process in Snapshot())
        {
            try
            {
                var line = File.ReadLines($"/proc/{process.Id.ToString(CultureInfo.InvariantCulture)}/status")
                    .FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
                var kib = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
                total += kib is null ? 0 : long.Parse(kib, CultureInfo.InvariantCulture) * 1024;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                // Exited meanwhile, or no /proc: the figure is best effort.
            }
        }

        return total;
    }

    /// <summary>Tracks the node process named by its pid file and its children (the object store), by pid.</summary>
    private void Track()
    {
        var nodes = Path.Combine(_tempDirectory, "nodes");
        if (!Directory.Exists(nodes))
        {
            return;
        }

        foreach (var file in Directory.EnumerateFiles(nodes, "node-*.json"))
        {
            if (ReadPid(file) is { } pid && TryGetProcess(pid) is { } process)
            {
                lock (_processes)
                {
                    _processes.Add(process);
                    _processes.AddRange(Children(pid));
                }
            }
        }
    }

    /// <summary>Stops the node processes of one cluster, last first (workers before the head they joined: they leave a
    /// cluster whose membership primary is still there to see them go), and empties the list. A node whose stop throws
    /// (its processes are killed by pid before it does) is reported and the next one still goes.</summary>
    public static async Task StopAllAsync(List<NodeProcess> nodes)
    {
        for (var i = nodes.Count - 1; i >= 0; i--)
        {
            try
            {
                await nodes[i].DisposeAsync();
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Console.Error.WriteLine($"warning: stopping the node process at {nodes[i].Address} failed: {ex.Message}");
            }
        }

        nodes.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= _killOnExit;
        // What the node logged while it served the benchmarks; a stopping node's warnings are not news.
        var problems = LogLines(IsProblem, ReportedLogLines);
        try
        {
            var (exitCode, output) = await RunCommandAsync("stop", "--keep-logs");
            if (exitCode != 0)
            {
                Console.Error.WriteLine($"warning: orleansray stop failed (exit code {exitCode.ToString(CultureInfo.InvariantCulture)}): {output.Trim()}");
            }

            foreach (var process in Snapshot())
            {
                if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
                {
                    Console.Error.WriteLine($"warning: pid {process.Id.ToString(CultureInfo.InvariantCulture)} ({process.ProcessName}) outlived `orleansray stop`; killed.");
                }
            }
        }
        finally
        {
            KillAll();
            if (problems.Length > 0)
            {
                Console.Error.WriteLine($"\n  the node process logged:\n{problems}");
            }

            foreach (var process in Snapshot())
            {
                process.Dispose();
            }

            try
            {
                Directory.Delete(_tempDirectory, recursive: true);
            }
            catch (IOException ex)
            {
                Console.Error.WriteLine($"warning: could not delete {_tempDirectory}: {ex.Message}");
            }
        }
    }

    private List<Process> Snapshot()
    {
        lock (_processes)
        {
            return _processes.ToList();
        }
    }

    /// <summary>Kills, by pid, every tracked process still running (the node's tree, then its object store).</summary>
    private void KillAll()
    {
        foreach (var process in Snapshot())
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit(TimeSpan.FromSeconds(10));
                }
            }
            catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Gone meanwhile.
            }
        }
    }

    private static bool IsProblem(string line)
    {
        var problem = line.Contains(" warn: ", StringComparison.Ordinal) || line.Contains(" fail: ", StringComparison.Ordinal)
                      || line.Contains(" crit: ", StringComparison.Ordinal) || line.StartsWith("error:", StringComparison.Ordinal);
        // Noise every Orleans silo logs at start (as the raw baseline silo filters it): the ServerGC advice, and the
        // watchdog's first check, which reports a "stall" as long as the machine's uptime.
        return problem && !line.Contains("ServerGC", StringComparison.Ordinal) && !BogusWatchdogStall().IsMatch(line);
    }

    /// <summary>A watchdog warning of a minute or more ("for 03:45:24.38"): the bogus first check, not a stall.</summary>
    [GeneratedRegex(@"Orleans\.Runtime\.Watchdog.* for (?!00:00:)\d")]
    private static partial Regex BogusWatchdogStall();

    /// <summary>Lines of the node's logs that match, the first <paramref name="max"/> of them, indented.</summary>
    private string LogLines(Func<string, bool> match, int max)
    {
        var lines = new StringBuilder();
        var count = 0;
        try
        {
            // The session folders themselves, not the session_latest link to one of them.
            var sessions = Directory.Exists(_tempDirectory)
                ? new DirectoryInfo(_tempDirectory).EnumerateDirectories("session_*").Where(d => d.LinkTarget is null)
                : [];
            foreach (var log in sessions.SelectMany(d => d.EnumerateFiles("*.log", SearchOption.AllDirectories)))
            {
                foreach (var line in File.ReadLines(log.FullName).Where(match))
                {
                    if (count++ < max)
                    {
                        // Orleans puts a whole stack trace on one line: its start says what happened.
                        var text = line.Trim();
                        lines.Append("    ").AppendLine(text.Length <= 400 ? text : text[..400] + " ...");
                    }
                }
            }
        }
        catch (IOException)
        {
            // Being rotated or removed: the report is best effort.
        }

        if (count > max)
        {
            lines.Append("    (").Append(count - max).AppendLine(" more)");
        }

        return lines.ToString();
    }

    /// <summary>Runs one <c>orleansray</c> verb against this node's folder; its exit code and output.</summary>
    private async Task<(int ExitCode, string Output)> RunCommandAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo(DotNetHost())
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        start.ArgumentList.Add(FindCommandAssembly());
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["ORLEANSRAY_TEMP_DIR"] = _tempDirectory;
        start.Environment["ORLEANSRAY_AUTH_TOKEN"] = ConnectedDriver.AuthToken;
        start.Environment["NO_COLOR"] = "1";
        using var command = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {start.FileName}.");
        command.StandardInput.Close();
        var stdout = command.StandardOutput.ReadToEndAsync();
        var stderr = command.StandardError.ReadToEndAsync();
        try
        {
            await command.WaitForExitAsync().WaitAsync(CommandDeadline);
        }
        catch (TimeoutException)
        {
            // The command itself (not a node: those run in sessions of their own and are tracked by their pid files).
            command.Kill();
            Track();
            throw new TimeoutException($"orleansray {string.Join(' ', arguments)} did not finish within {CommandDeadline.TotalSeconds:F0} s; killed.");
        }

        return (command.ExitCode, await stdout + await stderr);
    }

    private static int? ReadPid(string pidFile)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(pidFile));
            return document.RootElement.GetProperty("Pid").GetInt32();
        }
        catch (Exception ex) when (ex is IOException or JsonException or KeyNotFoundException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static Process? TryGetProcess(int pid)
    {
        try
        {
            var process = Process.GetProcessById(pid);
            if (!process.HasExited)
            {
                return process;
            }

            process.Dispose();
        }
        catch (ArgumentException)
        {
            // Exited meanwhile.
        }

        return null;
    }

    /// <summary>A process' children (the node's object store) by pid, from /proc; empty where /proc does not list them.</summary>
    private static List<Process> Children(int pid)
    {
        var children = new List<Process>();
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/task"))
            {
                var file = Path.Combine(task, "children");
                var text = File.Exists(file) ? File.ReadAllText(file) : string.Empty;
                foreach (var child in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    if (TryGetProcess(int.Parse(child, CultureInfo.InvariantCulture)) is { } process)
                    {
                        children.Add(process);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // No /proc, or the node exited meanwhile (its object store watches it and exits too).
        }

        return children;
    }

    /// <summary>OrleansRay.Cli.dll (the orleansray command) in Silo/bin/&lt;this bench's configuration&gt;/net10.0.</summary>
    private static string FindCommandAssembly()
    {
        var configuration = typeof(NodeProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OrleansRay.sln")))
            {
                var path = Path.Combine(dir.FullName, "Silo", "bin", configuration, "net10.0", "OrleansRay.Cli.dll");
                return File.Exists(path)
                    ? path
                    : throw new FileNotFoundException($"The orleansray command is not built: {path} is missing. Build the bench (it builds Silo first): dotnet build -c {configuration} bench");
            }
        }

        throw new DirectoryNotFoundException($"No OrleansRay.sln above {AppContext.BaseDirectory}: the connected benchmarks run the orleansray command from the repository's build output.");
    }

    /// <summary>The dotnet host: the one running this bench when it runs under dotnet, else the one on PATH.</summary>
    private static string DotNetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host)
        {
            return host;
        }

        var self = Environment.ProcessPath;
        return self is not null && string.Equals(Path.GetFileNameWithoutExtension(self), "dotnet", StringComparison.OrdinalIgnoreCase) ? self : "dotnet";
    }
}
