using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using OrleansRay.Silo.Cli;

namespace OrleansRay.Silo.Autoscaling.Providers;

/// <summary>How the local provider starts a worker node: what every worker of the cluster shares with the head.</summary>
/// <param name="HeadAddress">The head's client address HOST:PORT (<c>--address</c> of the workers).</param>
/// <param name="PrimaryNode">The head's node endpoint a worker joins through when the cluster has no storage
/// (<c>--primary-node</c>); null with storage.</param>
/// <param name="NodeIpAddress">The workers' <c>--node-ip-address</c> (the provider section's <c>node_ip_address</c>).</param>
/// <param name="Session">The head's session folder: workers log to its <c>logs</c> folder and the provider keeps its
/// records in its <c>autoscaler</c> folder (what <c>orleansray down</c> reads).</param>
/// <param name="Paths">The machine's OrleansRay folder (pid files).</param>
/// <param name="Load">The head's <c>--load</c> assemblies: every worker loads them too (the same application).</param>
/// <param name="Storage">The head's storage connection string (null: memory), passed by environment.</param>
/// <param name="Token">The cluster's token (null: <c>--insecure</c>), passed by environment.</param>
/// <param name="Program">The program to run; null: this executable again (<c>orleansray</c>).</param>
/// <param name="ProgramPrefix">Arguments before <c>start</c> (e.g. the .dll for <c>dotnet</c>).</param>
internal sealed record LocalLaunchSettings(
    string HeadAddress,
    string? PrimaryNode,
    IPAddress NodeIpAddress,
    string Session,
    CliPaths Paths,
    IReadOnlyList<string> Load,
    string? Storage,
    string? Token,
    string? Program = null,
    IReadOnlyList<string>? ProgramPrefix = null)
{
    /// <summary>The provider's folder in the session: one record per worker process, and the stop marker.</summary>
    public string Folder => LocalNodeProvider.FolderOf(Session);
}

/// <summary>One worker process the local provider started, as its record file in the session describes it (so
/// <c>orleansray down</c> finds workers that have not written their pid file yet).</summary>
/// <param name="Pid">The process.</param>
/// <param name="ProcessStart">Its start time (UTC), so a reused pid is never mistaken for it.</param>
/// <param name="NodeType">The node type it was launched as.</param>
/// <param name="Address">Its client address HOST:PORT.</param>
/// <param name="LogFile">Its log.</param>
internal sealed record LocalWorkerRecord(int Pid, DateTime ProcessStart, string NodeType, string Address, string LogFile)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>The records in <paramref name="folder"/> (unreadable ones skipped).</summary>
    public static IReadOnlyList<(string File, LocalWorkerRecord Record)> ReadAll(string folder)
    {
        if (!Directory.Exists(folder))
        {
            return [];
        }

        var result = new List<(string, LocalWorkerRecord)>();
        foreach (var file in Directory.EnumerateFiles(folder, "worker-*.json"))
        {
            try
            {
                if (JsonSerializer.Deserialize<LocalWorkerRecord>(File.ReadAllText(file), Json) is { } record)
                {
                    result.Add((file, record));
                }
            }
            catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
            {
                // Being written or removed right now.
            }
        }

        return result;
    }
}

/// <summary>The local node provider (<c>provider: {type: local}</c>): worker nodes are <c>orleansray start --address HEAD
/// ... --block</c> processes on this machine, children of the head, with the node type's resources and start options,
/// logging to the head's session's logs folder.</summary>
/// <remarks>A worker is <see cref="ProviderNodeState.Launching"/> until its pid file says its silo is up, then
/// <see cref="ProviderNodeState.Running"/>. One that exits on its own (before joining: a bad start option; or later) is
/// <see cref="ProviderNodeState.Failed"/> with its exit code and its log's last error line, until the autoscaler
/// terminates (forgets) it; one that does not come up within <see cref="StartDeadline"/> is stopped and Failed.
/// <see cref="TerminateAsync"/> stops a worker with SIGTERM (it leaves the cluster), SIGKILL after
/// <see cref="NodeProcesses.StopDeadline"/>. Disposing stops every worker still running.</remarks>
internal sealed class LocalNodeProvider : INodeProvider, IAsyncDisposable
{
    /// <summary>How long a worker may take to join (its pid file) before it is stopped and reported failed.</summary>
    public static readonly TimeSpan StartDeadline = NodeLauncher.StartDeadline;

    /// <summary>The file in the provider's folder that tells the autoscaler to launch nothing more (<c>down</c> writes it).</summary>
    public const string StopMarkerName = "stopping";

    private readonly LocalLaunchSettings _settings;
    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private readonly Dictionary<string, Worker> _workers = new(StringComparer.Ordinal);

    /// <summary>A provider that starts workers as <paramref name="settings"/> says.</summary>
    public LocalNodeProvider(LocalLaunchSettings settings, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The provider's folder in session folder <paramref name="session"/>.</summary>
    public static string FolderOf(string session) => Path.Combine(session, "autoscaler");

    /// <summary>The stop marker of session folder <paramref name="session"/>.</summary>
    public static string StopMarkerOf(string session) => Path.Combine(FolderOf(session), StopMarkerName);

    /// <inheritdoc/>
    public Task<IReadOnlyList<ProviderNode>> LaunchAsync(NodeTypeConfig nodeType, int count, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(nodeType);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        Directory.CreateDirectory(_settings.Folder);
        var launched = new List<ProviderNode>();
        for (var i = 0; i < count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var worker = Start(nodeType);
            lock (_gate)
            {
                _workers[worker.Id] = worker;
                launched.Add(worker.ToNode());
            }
        }

        return Task.FromResult<IReadOnlyList<ProviderNode>>(launched);
    }

    /// <inheritdoc/>
    public async Task TerminateAsync(string id, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        Worker? worker;
        lock (_gate)
        {
            if (_workers.Remove(id, out worker))
            {
                worker.Terminated = true;
            }
        }

        if (worker is not null)
        {
            await StopAsync(worker, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<ProviderNode>> ListAsync(CancellationToken cancellationToken)
    {
        List<Worker> workers;
        lock (_gate)
        {
            workers = _workers.Values.OrderBy(w => w.Started).ToList();
        }

        foreach (var worker in workers)
        {
            Refresh(worker);
        }

        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<ProviderNode>>(workers.Where(w => !w.Terminated).Select(w => w.ToNode()).ToList());
        }
    }

    /// <summary>Stops every worker still running (the head is stopping: its workers go with it).</summary>
    public async ValueTask DisposeAsync()
    {
        List<Worker> workers;
        lock (_gate)
        {
            workers = [.. _workers.Values];
            _workers.Clear();
            foreach (var worker in workers)
            {
                worker.Terminated = true;
            }
        }

        await Task.WhenAll(workers.Select(w => StopAsync(w, CancellationToken.None))).ConfigureAwait(false);
    }

    private Worker Start(NodeTypeConfig nodeType)
    {
        var ip = _settings.NodeIpAddress;
        int port, nodePort;
        lock (_gate)
        {
            var taken = _workers.Values.SelectMany(w => new[] { w.Port, w.NodePort }).ToHashSet();
            do
            {
                port = OptionValues.FreePort(ip);
            }
            while (taken.Contains(port));

            taken.Add(port);
            do
            {
                nodePort = OptionValues.FreePort(ip);
            }
            while (taken.Contains(nodePort));
        }

        var logFile = Path.Combine(_settings.Session, "logs", string.Create(CultureInfo.InvariantCulture, $"node-{port}.log"));
        var args = new List<string>
        {
            "start",
            "--address", _settings.HeadAddress,
            "--port", port.ToString(CultureInfo.InvariantCulture),
            "--node-port", nodePort.ToString(CultureInfo.InvariantCulture),
            "--node-ip-address", ip.ToString(),
        };
        args.AddRange(nodeType.StartArguments());
        if (_settings.Storage is null)
        {
            args.AddRange(["--storage", "memory"]);
        }

        foreach (var assembly in _settings.Load)
        {
            args.AddRange([Hosting.UserAssemblies.Option, assembly]);
        }

        if (_settings.PrimaryNode is { } primary)
        {
            args.AddRange(["--primary-node", primary]);
        }

        if (_settings.Token is null)
        {
            args.Add("--insecure");
        }

        // --session-dir: the worker is "launched" (no checks of its own, no session of its own): its log and pid file
        // point into the head's session.
        args.AddRange(["--block", "--session-dir", _settings.Session]);
        var (program, prefix) = _settings.Program is { } given ? (given, _settings.ProgramPrefix ?? []) : NodeLauncher.Self();
        var process = NodeLauncher.Spawn(program, [.. prefix, .. args], logFile, _settings.Storage, _settings.Token, _settings.Paths);
        DateTime started;
        try
        {
            started = process.StartTime.ToUniversalTime();
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            // It has exited and been reaped already (a worker that fails at once): Refresh reports its exit code. The
            // record's start time only tells the worker from a later process given the same pid, and there is none.
            started = DateTime.UtcNow;
        }

        var worker = new Worker(process, nodeType.Name, port, nodePort, string.Create(CultureInfo.InvariantCulture, $"{ip}:{nodePort}"), logFile, _time.GetUtcNow())
        {
            RecordFile = Path.Combine(_settings.Folder, string.Create(CultureInfo.InvariantCulture, $"worker-{process.Id}.json")),
            Address = string.Create(CultureInfo.InvariantCulture, $"{ip}:{port}"),
        };
        CliPaths.WriteAtomically(worker.RecordFile, new LocalWorkerRecord(process.Id, started, nodeType.Name, worker.Address, logFile).ToJson());
        return worker;
    }

    /// <summary>Brings <paramref name="worker"/>'s state up to date: joined (pid file), exited, or too slow to join.</summary>
    private void Refresh(Worker worker)
    {
        if (worker.State == ProviderNodeState.Failed || worker.Terminated)
        {
            return;
        }

        if (worker.Process.HasExited)
        {
            var code = worker.Process.ExitCode;
            var joined = worker.State == ProviderNodeState.Running;
            var when = joined ? "after joining the cluster" : "before joining the cluster";
            // Replaced at once only after a good run: one that dies within the back-off of joining (out of memory on its
            // first task, a --load'ed library crashing) would otherwise be relaunched every round.
            var ranLong = joined && _time.GetUtcNow() - worker.Since >= Autoscaler.FailureBackoff;
            Fail(worker, string.Create(CultureInfo.InvariantCulture, $"the node exited with code {code}{Signal(code)} {when}: {LastError(worker.LogFile)} (log: {worker.LogFile})"), ranLong);
            return;
        }

        if (worker.State == ProviderNodeState.Launching)
        {
            if (NodeRecord.TryRead(_settings.Paths.PidFile(worker.Port)) is { } record && record.Pid == worker.Process.Id)
            {
                lock (_gate)
                {
                    worker.State = ProviderNodeState.Running;
                    worker.Since = _time.GetUtcNow();
                }
            }
            else if (_time.GetUtcNow() - worker.Started > StartDeadline)
            {
                Fail(worker, string.Create(CultureInfo.InvariantCulture, $"the node did not join within {StartDeadline.TotalSeconds} s and was stopped: {LastError(worker.LogFile)} (log: {worker.LogFile})"));
                _ = StopAsync(worker, CancellationToken.None);
            }
        }
    }

    /// <summary>" (signal 9, SIGKILL)" for an exit code above 128, as a shell reports a process a signal ended (134 is
    /// also how .NET exits on an unhandled exception: SIGABRT); empty otherwise.</summary>
    internal static string Signal(int code) => code switch
    {
        <= 128 or > 128 + 64 => string.Empty,
        _ => string.Create(CultureInfo.InvariantCulture, $" (signal {code - 128}{(code - 128) switch { 6 => ", SIGABRT", 9 => ", SIGKILL", 11 => ", SIGSEGV", 15 => ", SIGTERM", _ => string.Empty }})"),
    };

    private void Fail(Worker worker, string reason, bool afterJoining = false)
    {
        lock (_gate)
        {
            worker.State = ProviderNodeState.Failed;
            worker.FailureReason = reason;
            worker.FailedAfterJoining = afterJoining;
            worker.Since = _time.GetUtcNow();
        }

        File.Delete(worker.RecordFile);
    }

    private static async Task StopAsync(Worker worker, CancellationToken cancellationToken)
    {
        try
        {
            if (!worker.Process.HasExited)
            {
                await NodeProcesses.StopAsync(worker.Process, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the signal.
        }
        finally
        {
            File.Delete(worker.RecordFile);
            worker.Process.Dispose();
        }
    }

    /// <summary>The log's last error line (a CLI "error: " line, a logged "fail:" or "crit:" entry, or .NET's "Unhandled
    /// exception."), shortened; "no error in its log" when there is none (a node killed by a signal logs none), "(no
    /// log)" when it cannot be read.</summary>
    internal static string LastError(string logFile)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(logFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "(no log)";
        }

        var line = lines.LastOrDefault(IsErrorLine);
        if (line is null)
        {
            return "no error in its log";
        }

        line = line.Trim();
        return line.Length > 300 ? line[..300] + "..." : line;
    }

    /// <summary>A CLI "error: " line, .NET's "Unhandled exception.", or a log entry whose level (after the date and time a
    /// node's log starts each entry with) is fail or crit.</summary>
    private static bool IsErrorLine(string line) =>
        line.StartsWith("error: ", StringComparison.Ordinal) || line.StartsWith("Unhandled exception.", StringComparison.Ordinal)
        || LevelIs(line, "fail: ") || LevelIs(line, "crit: ");

    private static bool LevelIs(string line, string level)
    {
        var time = line.IndexOf(' ', StringComparison.Ordinal);
        var afterTime = time < 0 ? -1 : line.IndexOf(' ', time + 1);
        return afterTime > 0 && line.AsSpan(afterTime + 1).StartsWith(level, StringComparison.Ordinal);
    }

    private sealed class Worker(Process process, string nodeType, int port, int nodePort, string nodeAddress, string logFile, DateTimeOffset started)
    {
        public Process Process { get; } = process;

        public string Id { get; } = process.Id.ToString(CultureInfo.InvariantCulture);

        public string NodeType { get; } = nodeType;

        public int Port { get; } = port;

        public int NodePort { get; } = nodePort;

        public string NodeAddress { get; } = nodeAddress;

        public string LogFile { get; } = logFile;

        public DateTimeOffset Started { get; } = started;

        public required string RecordFile { get; init; }

        /// <summary>Its client address (<c>--port</c>): how status and <c>down</c> name it.</summary>
        public required string Address { get; init; }

        public ProviderNodeState State { get; set; } = ProviderNodeState.Launching;

        public DateTimeOffset Since { get; set; } = started;

        public string? FailureReason { get; set; }

        public bool Terminated { get; set; }

        public bool FailedAfterJoining { get; set; }

        public ProviderNode ToNode() => new(Id, NodeType, State, NodeAddress, FailureReason, Since, Address, FailedAfterJoining);
    }
}
