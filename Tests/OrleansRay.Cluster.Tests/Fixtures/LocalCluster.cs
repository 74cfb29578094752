using System.Globalization;
using System.Text.Json;
using OrleansRay.Tests.Processes;

namespace OrleansRay.Cluster.Tests.Fixtures;

/// <summary>How a <see cref="LocalCluster"/> is started.</summary>
public sealed record LocalClusterOptions
{
    /// <summary>Workers started with the head (in parallel, after it).</summary>
    public int Workers { get; init; } = 2;

    /// <summary>CPUs of every node: small, so three nodes and the tests share a 2-core machine (tasks mostly sleep).</summary>
    public double NumCpus { get; init; } = 2;

    /// <summary>CPUs of the head when it differs from the workers' <see cref="NumCpus"/> (null: the same).</summary>
    public double? HeadNumCpus { get; init; }

    /// <summary>A PostgreSQL connection string for <c>--storage</c>; null for the embedded default (memory).</summary>
    public string? Storage { get; init; }

    /// <summary>Bytes of each node's object store: small; nothing here stores much.</summary>
    public long ObjectStoreMemory { get; init; } = 256L << 20;

    /// <summary>Start every node with <c>--load</c> of the TestApp. False: the nodes have no application code of their
    /// own, and a driver's code must travel with its job (issue 12).</summary>
    public bool LoadTestApp { get; init; } = true;

    /// <summary>More assemblies every node loads (<c>--load</c>, full paths).</summary>
    public IReadOnlyList<string> Load { get; init; } = [];
}

/// <summary>A real cluster on this machine: <c>orleansray start --head</c> and workers with <c>--address</c>, every node
/// with <c>--load OrleansRay.Cluster.TestApp.dll</c>, explicit free ports, its files in a private
/// <c>ORLEANSRAY_TEMP_DIR</c>. Tracks every process it started (node and object store, by pid and start time) and on
/// dispose runs <c>orleansray stop</c>, kills by pid whatever is left, and deletes the folder.</summary>
public sealed class LocalCluster : IAsyncDisposable
{
    /// <summary>How long one <c>start</c> may take on a busy 2-core machine (a node is up in 2-4 s when idle).</summary>
    private static readonly TimeSpan NodeExitDeadline = TimeSpan.FromSeconds(30);

    private readonly OrleansRayCommand _command = new("orc-");
    private readonly List<ClusterNode> _nodes = [];
    private readonly List<ProcessTree.Identity> _processes = [];
    private readonly object _gate = new();
    private readonly List<string> _timeline = [];
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private bool _stopped;

    private LocalCluster(LocalClusterOptions options)
    {
        Options = options;
    }

    public LocalClusterOptions Options { get; }

    /// <summary>The folder standing in for /tmp/orleansray.</summary>
    public string TempDirectory => _command.TempDirectory;

    /// <summary>Full path of the test application the nodes load (next to the test assembly: the tests reference it).</summary>
    public static string TestAppAssembly { get; } = Path.Combine(AppContext.BaseDirectory, "OrleansRay.Cluster.TestApp.dll");

    public ClusterNode Head { get; private set; } = null!;

    /// <summary>The head's dashboard (pages, /api, /metrics), e.g. http://127.0.0.1:PORT.</summary>
    public string DashboardUrl { get; private set; } = string.Empty;

    /// <summary>The cluster's client address, what drivers pass as <c>RayOptions.Address</c>.</summary>
    public string Address => Head.Address;

    private static readonly HttpClient DashboardHttp = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>GET of a dashboard path (e.g. "/api/actors") with the cluster's token as a bearer, as a script would.</summary>
    public async Task<string> GetDashboardAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, DashboardUrl + path);
        if (AuthToken is { } token)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await DashboardHttp.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The token the head made and saved in its temp root (as on any head's machine); what an in-process driver
    /// passes as <c>RayOptions.AuthToken</c> (this process does not see the nodes' ORLEANSRAY_TEMP_DIR). Null for a
    /// cluster started with --insecure.</summary>
    public string? AuthToken => File.Exists(Path.Combine(TempDirectory, "orleansray_auth_token"))
        ? File.ReadAllText(Path.Combine(TempDirectory, "orleansray_auth_token")).Trim()
        : null;

    /// <summary>Every node started, in order, running or not.</summary>
    public IReadOnlyList<ClusterNode> Nodes
    {
        get
        {
            lock (_gate)
            {
                return _nodes.ToList();
            }
        }
    }

    /// <summary>The nodes whose process runs now.</summary>
    public IReadOnlyList<ClusterNode> RunningNodes => Nodes.Where(n => n.IsRunning).ToList();

    /// <summary>What happened when (seconds since the cluster object was made): starts, kills, stops, status waits.</summary>
    public IReadOnlyList<string> Timeline
    {
        get
        {
            lock (_gate)
            {
                return _timeline.ToList();
            }
        }
    }

    private void Note(string what)
    {
        lock (_gate)
        {
            _timeline.Add(string.Create(CultureInfo.InvariantCulture, $"{_clock.Elapsed.TotalSeconds,7:0.00} s  {what}"));
        }
    }

    /// <summary>Runs an <c>orleansray</c> verb against this cluster's folder.</summary>
    public Task<ProcessResult> RunAsync(params string[] arguments) => _command.RunAsync(arguments);

    /// <summary>Starts the head and <see cref="LocalClusterOptions.Workers"/> workers; returns once status lists them all alive.</summary>
    public static async Task<LocalCluster> StartAsync(LocalClusterOptions? options = null)
    {
        var cluster = new LocalCluster(options ?? new LocalClusterOptions());
        try
        {
            cluster.Head = await cluster.StartNodeAsync(head: true, resources: null);
            await Task.WhenAll(Enumerable.Range(0, cluster.Options.Workers).Select(_ => cluster.StartNodeAsync(head: false, resources: null)));
            await cluster.WaitForAliveNodesAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts one more worker (with <c>--resources</c> JSON when given) and waits until status shows it alive.</summary>
    public async Task<ClusterNode> AddWorkerAsync(string? resources = null)
    {
        var node = await StartNodeAsync(head: false, resources);
        await WaitForAliveNodesAsync();
        return node;
    }

    /// <summary>Starts one more plain worker without waiting for status to list it (callers wait once for several).</summary>
    public Task<ClusterNode> StartWorkerAsync() => StartNodeAsync(head: false, resources: null);

    /// <summary>kill -9 of a node's process (its object store follows by itself: it watches its parent).</summary>
    public async Task KillAsync(ClusterNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        Note($"kill -9 {node}");
        await ProcessTree.KillAsync(node.Process, NodeExitDeadline);
        if (node.Store is { } store)
        {
            await Poll.UntilAsync(() => !ProcessTree.IsRunning(store), NodeExitDeadline, $"{store} of the killed {node} to exit by itself");
        }
    }

    /// <summary>SIGTERM to one node (as <c>orleansray stop</c> does for all): it leaves the cluster cleanly.</summary>
    public async Task StopNodeAsync(ClusterNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        Note($"SIGTERM {node}");
        await ProcessTree.TerminateAsync(node.Process, NodeExitDeadline);
        if (node.Store is { } store)
        {
            await Poll.UntilAsync(() => !ProcessTree.IsRunning(store), NodeExitDeadline, $"{store} of {node} to exit");
        }
    }

    /// <summary>Runs <c>orleansray status</c> and reads it back.</summary>
    public async Task<ClusterStatus> StatusAsync()
    {
        var result = await _command.RunAsync("status", "--address", Address);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"orleansray status failed: {result}");
        }

        return ClusterStatus.Parse(result.Output);
    }

    /// <summary>Waits until the head lists every running node alive and the alive count matches (deadline 60 s).</summary>
    /// <remarks>Polls the head's <c>/api/cluster</c>, the snapshot <c>orleansray status</c> prints, over HTTP from this
    /// process: a <c>status</c> command is a process start and an Orleans client (~1.2 s of CPU each), and a cluster
    /// test's start used to run several back to back. Tests of the command itself call <see cref="StatusAsync"/>.</remarks>
    public async Task WaitForAliveNodesAsync()
    {
        await WaitForSnapshotAsync(
            snapshot =>
            {
                var listed = snapshot.GetProperty("nodes").EnumerateArray()
                    .Select(n => (Id: n.GetProperty("nodeId").GetString(), Alive: n.GetProperty("isAlive").GetBoolean()))
                    .ToList();
                var running = RunningNodes;
                return snapshot.GetProperty("aliveCount").GetInt32() == running.Count
                    && running.All(node => listed.Any(row => row.Alive && node.Owns(row.Id)));
            },
            TimeSpan.FromSeconds(60),
            "the head's /api/cluster to list every running node alive",
            TimeSpan.FromMilliseconds(500)); // each answer reads the membership table (a query on PostgreSQL clusters)
        Note($"the head lists {RunningNodes.Count} alive node(s)");
    }

    /// <summary>Polls the head's <c>/api/cluster</c> (the snapshot <c>orleansray status</c> prints: both build it with
    /// <c>ClusterSnapshot.BuildAsync</c>) until <paramref name="condition"/> holds for it; returns that answer's text.
    /// A refused or slow request (not listening yet, 401 before the head wrote its token, a busy machine) counts as not
    /// yet; a malformed answer fails the wait, since it is a defect.</summary>
    /// <exception cref="TimeoutException"><paramref name="deadline"/> passed first; says what was last seen.</exception>
    public async Task<string> WaitForSnapshotAsync(Func<JsonElement, bool> condition, TimeSpan deadline, string what, TimeSpan? interval = null)
    {
        string last = "(no answer yet)";
        await Poll.UntilAsync(
            async () =>
            {
                try
                {
                    last = await GetDashboardAsync("/api/cluster");
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    last = $"(GET /api/cluster: {ex.Message})";
                    return false;
                }

                using var snapshot = JsonDocument.Parse(last);
                return condition(snapshot.RootElement);
            },
            deadline,
            what,
            () => last,
            interval);
        return last;
    }

    /// <summary>Runs <c>orleansray stop</c> and checks its promise: every process this cluster started is gone (those
    /// still running after 30 s are killed and reported) and no file is left in the cluster's folder.</summary>
    public async Task<StopReport> StopAsync()
    {
        _stopped = true;
        Note("orleansray stop");
        var stop = await _command.RunAsync("stop");
        Note("orleansray stop returned");
        List<ProcessTree.Identity> tracked;
        lock (_gate)
        {
            tracked = _processes.ToList();
        }

        try
        {
            await Poll.UntilAsync(() => tracked.All(p => !ProcessTree.IsRunning(p)), NodeExitDeadline, "every node and object store process to exit after `orleansray stop`");
        }
        catch (TimeoutException)
        {
            // Reported below; the survivors are killed so nothing outlives the test.
        }

        var survivors = tracked.Where(ProcessTree.IsRunning).ToList();
        foreach (var survivor in survivors)
        {
            await ProcessTree.KillAsync(survivor, NodeExitDeadline);
        }

        Note($"every process gone ({survivors.Count} killed)");
        var files = Directory.Exists(TempDirectory)
            ? Directory.EnumerateFileSystemEntries(TempDirectory, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(TempDirectory, f)).ToList()
            : [];
        return new StopReport(stop, survivors, files);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_stopped)
            {
                await StopAsync();
            }
        }
        finally
        {
            List<ProcessTree.Identity> tracked;
            lock (_gate)
            {
                tracked = _processes.ToList();
            }

            foreach (var process in tracked.Where(ProcessTree.IsRunning))
            {
                await ProcessTree.KillAsync(process, NodeExitDeadline);
            }

            // Kills what the pid files still name (a node started but not yet tracked) and deletes the folder.
            _command.Dispose();
        }
    }

    /// <summary>Starts a node on fresh ports; when one of them was taken between choosing and binding (another test
    /// process's node or connection), tries again with new ones, a few times.</summary>
    private async Task<ClusterNode> StartNodeAsync(bool head, string? resources)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartNodeOnFreePortsAsync(head, resources);
            }
            catch (PortTakenException) when (attempt < 3)
            {
            }
        }
    }

    /// <summary>A node's start failed because a port it was given is in use.</summary>
    private sealed class PortTakenException(string message) : InvalidOperationException(message);

    private async Task<ClusterNode> StartNodeOnFreePortsAsync(bool head, string? resources)
    {
        var port = TestPorts.Free();
        var nodePort = TestPorts.Free();
        while (nodePort == port)
        {
            nodePort = TestPorts.Free();
        }

        var arguments = new List<string> { "start" };
        if (head)
        {
            var dashboardPort = TestPorts.Free();
            DashboardUrl = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{dashboardPort}");
            arguments.AddRange(["--head", "--dashboard-port", dashboardPort.ToString(CultureInfo.InvariantCulture)]);
        }
        else
        {
            arguments.AddRange(["--address", Address]);
        }

        arguments.AddRange([
            "--port", port.ToString(CultureInfo.InvariantCulture),
            "--node-port", nodePort.ToString(CultureInfo.InvariantCulture),
            "--num-cpus", (head ? Options.HeadNumCpus ?? Options.NumCpus : Options.NumCpus).ToString(CultureInfo.InvariantCulture),
            "--object-store-memory", Options.ObjectStoreMemory.ToString(CultureInfo.InvariantCulture),
        ]);
        if (Options.LoadTestApp)
        {
            arguments.AddRange(["--load", TestAppAssembly]);
        }

        foreach (var assembly in Options.Load)
        {
            arguments.AddRange(["--load", assembly]);
        }
        if (Options.Storage is { } storage)
        {
            arguments.AddRange(["--storage", storage]);
        }

        if (resources is not null)
        {
            arguments.AddRange(["--resources", resources]);
        }

        Note($"start {(head ? "head" : "worker")} {port.ToString(CultureInfo.InvariantCulture)}");
        var result = await _command.RunAsync([.. arguments]);
        Note($"start {(head ? "head" : "worker")} {port.ToString(CultureInfo.InvariantCulture)} returned {result.ExitCode.ToString(CultureInfo.InvariantCulture)}");
        var pidFile = Path.Combine(_command.NodesDirectory, string.Create(CultureInfo.InvariantCulture, $"node-{port}.json"));
        var (pid, logFile) = File.Exists(pidFile) ? ReadPidFile(pidFile) : (null, null);
        var process = pid is { } p ? ProcessTree.Identify(p, $"{(head ? "head" : "worker")} node {port.ToString(CultureInfo.InvariantCulture)}") : null;
        if (process is { } started)
        {
            lock (_gate)
            {
                _processes.Add(started);
            }
        }

        if (result.ExitCode != 0 || process is null)
        {
            var message = $"orleansray {string.Join(' ', arguments)} failed: {result}";
            throw result.Error.Contains("Address already in use", StringComparison.Ordinal) || result.Error.Contains("is in use", StringComparison.Ordinal)
                ? new PortTakenException(message)
                : new InvalidOperationException(message);
        }

        var store = ProcessTree.Children(process.Value.Pid, "orleansray-store").Select(s => s with { What = $"object store of node {port.ToString(CultureInfo.InvariantCulture)}" }).FirstOrDefault();
        var node = new ClusterNode(head, port, nodePort, process.Value, store.Pid == 0 ? null : store, resources, logFile);
        lock (_gate)
        {
            if (node.Store is { } s)
            {
                _processes.Add(s);
            }

            _nodes.Add(node);
        }

        return node;
    }

    private static (int? Pid, string? LogFile) ReadPidFile(string pidFile)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(pidFile));
            return (document.RootElement.GetProperty("Pid").GetInt32(), document.RootElement.GetProperty("LogFile").GetString());
        }
        catch (Exception ex) when (ex is IOException or JsonException or KeyNotFoundException)
        {
            return (null, null);
        }
    }

    /// <summary>The timeline and the last lines of every node's log: what a failing test prints.</summary>
    public string Diagnostics(int lines = 30) =>
        string.Join('\n', Timeline) + "\n" + string.Join('\n', Nodes.Select(n => $"--- {n} log:\n{n.LogTail(lines)}"));
}

/// <summary>What <see cref="LocalCluster.StopAsync"/> found: the stop command's result, processes still running after it
/// (killed since), and files left in the cluster's folder (relative paths).</summary>
public sealed record StopReport(ProcessResult Stop, IReadOnlyList<ProcessTree.Identity> Survivors, IReadOnlyList<string> Files)
{
    public override string ToString() =>
        $"{Stop}\n--- survivors: {string.Join(", ", Survivors)}\n--- files left: {string.Join(", ", Files)}";
}
