using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using OrleansRay.Cluster.TestApp;
using OrleansRay.Cluster.Tests.Fixtures;
using OrleansRay.Tests.Processes;
using Xunit;
using Xunit.Abstractions;

namespace OrleansRay.Cluster.Tests;

/// <summary>Issue 17's acceptance, with real processes: <c>orleansray up CONFIG</c> starts a head whose autoscaler
/// launches and removes real <c>orleansray start</c> worker processes (the local provider); <c>status</c> shows Pending
/// and Recent failures; <c>orleansray down CONFIG</c> leaves no process. Each test starts its own cluster in a private
/// folder (never the shared one) and stops every process it saw, even when it fails.</summary>
public sealed partial class AutoscalerClusterTests
{
    private readonly ITestOutputHelper _output;

    public AutoscalerClusterTests(ITestOutputHelper output)
    {
        _output = output;
    }

    /// <summary>A head of 1 CPU, a worker type of 2 CPUs (0..2), idle timeout 6 s: a driver's 6 one-CPU tasks of ~3 s
    /// make the autoscaler launch exactly two workers (the third node the demand asks for is over max_workers); all
    /// tasks finish; once idle for the timeout the workers are removed; <c>status</c> showed them Pending, then alive,
    /// then gone.</summary>
    [Fact]
    public async Task Up_launches_two_workers_for_pending_tasks_and_removes_them_once_idle_and_down_leaves_no_process()
    {
        // Workers wait at start for a gate the test opens once status has shown them Pending: a status call takes
        // seconds on a loaded machine, and without the hold one may land before the launch and the next after both
        // workers joined (seen under two CPU burners).
        await using var cluster = new AutoscaledCluster("as-scale", _output, holdWorkerStarts: true);
        try
        {
            cluster.WriteConfig(maxWorkers: 2, idleTimeoutMinutes: 0.1, """
                  worker:
                    resources: {CPU: 2}
                    min_workers: 0
                    max_workers: 2
                    start_options: {object-store-memory: 268435456}
                """);
            await cluster.UpAsync();

            // Nothing to do yet: no worker (min_workers 0).
            var first = await cluster.StatusAsync();
            Assert.True(first.Status.Active == 1 && first.Pending.Count == 0, first.Status.Text);

            IReadOnlyList<string> ranOn;
            await using (var ray = await Ray.InitAsync(new RayOptions { Address = cluster.Address, AuthToken = cluster.AuthToken }))
            {
                // Six 1-CPU tasks of ~3 s (4 s: the head alone needs 24 s for them, longer than a worker takes to join on
                // a loaded machine, 5-16 s measured): 1 runs on the head (1 CPU), 5 wait: the demand the autoscaler serves.
                var refs = Enumerable.Range(0, 6).Select(_ => ray.Task(Work.Hold, 4000).Remote()).ToList();
                var results = ray.GetAsync(refs, TimeSpan.FromSeconds(90));
                // Status while the tasks run and the workers come: Pending (held at their start), then alive.
                await cluster.PollAsync(v => v.Pending.Any(p => p.Type == "worker"), TimeSpan.FromSeconds(60), "a worker launch shown Pending");
                cluster.OpenWorkerGate();
                await cluster.PollAsync(
                    _ => results.IsCompleted && cluster.Observations.Any(o => o.AliveWorkers.Count == 2),
                    TimeSpan.FromSeconds(90),
                    "two workers alive and the 6 tasks done");
                ranOn = await results;
            }

            // Then gone: idle for idle_timeout_minutes, the autoscaler removes them (the driver holds nothing there now).
            await cluster.PollAsync(v => v.AliveWorkers.Count == 0 && v.Pending.Count == 0, TimeSpan.FromSeconds(60), "the idle workers removed");

            var seen = cluster.Observations;
            var firstPending = seen.FindIndex(v => v.Pending.Count(p => p.Type == "worker") > 0);
            var firstTwoAlive = seen.FindIndex(v => v.AliveWorkers.Count == 2);
            var goneAfter = firstTwoAlive < 0 ? -1 : seen.FindIndex(firstTwoAlive, v => v.AliveWorkers.Count == 0 && v.Pending.Count == 0);
            // Pending before both alive: the workers were held at their start until a status call had shown them Pending.
            Assert.True(firstPending >= 0 && firstTwoAlive > firstPending && goneAfter > firstTwoAlive, $"status should show the workers Pending, then alive, then gone:\n{cluster.Summary()}");
            // Exactly two workers ever: the demand of 5 waiting CPUs asks for 3 nodes of 2 CPUs, max_workers is 2.
            Assert.True(seen.SelectMany(v => v.AliveWorkers).Distinct().Count() == 2, cluster.Summary());
            var launches = cluster.HeadLogLaunches();
            Assert.True(launches.Where(l => l.Type == "worker").Sum(l => l.Count) == 2, string.Join('\n', launches.Select(l => l.Line)));
            // All six finished, and not all on the head: the tasks the driver queued there spilled back to the workers
            // that joined for them (Ray's spillback; docs/adr/0005-runtime-layers.md).
            Assert.Equal(6, ranOn.Count);
            Assert.True(ranOn.Distinct().Count() >= 2, $"all 6 tasks ran on one node ({ranOn[0]}): none spilled to a worker\n{cluster.Summary()}");
            Assert.Contains(cluster.HeadLog(), l => l.Contains("Autoscaler: removing node", StringComparison.Ordinal) && l.Contains("idle for", StringComparison.Ordinal));

            await cluster.DownAndCheckAsync();
        }
        finally
        {
            _output.WriteLine(cluster.Summary());
        }
    }

    /// <summary>One cluster for the other points: a task needing {"accel": 1} launches exactly one node of the type
    /// that has accel; a 64-CPU task no type can hold launches nothing and is reported infeasible; a worker type with a
    /// bad start option fails to start, shows in Recent failures with its reason and is not relaunched in a tight loop
    /// (at most 2 launches in the 15 s after its first failure); <c>down</c> leaves no process.</summary>
    [Fact]
    public async Task Up_launches_one_accel_node_nothing_for_an_infeasible_task_reports_a_failing_type_without_retrying_it_and_down_leaves_no_process()
    {
        await using var cluster = new AutoscaledCluster("as-types", _output);
        try
        {
            cluster.WriteConfig(maxWorkers: 4, idleTimeoutMinutes: 0.1, """
                  accel:
                    resources: {CPU: 1, accel: 1}
                    min_workers: 0
                    max_workers: 2
                    start_options: {object-store-memory: 268435456}
                  broken:
                    resources: {CPU: 1}
                    min_workers: 1
                    max_workers: 1
                    start_options: {no-such-option: 1}
                """);
            await cluster.UpAsync();

            string accelNode;
            await using (var ray = await Ray.InitAsync(new RayOptions { Address = cluster.Address, AuthToken = cluster.AuthToken }))
            {
                var accelTask = ray.Task(Work.Hold, 1000).Options(new TaskOptions { Resources = { ["accel"] = 1 } }).Remote();
                var infeasibleTask = ray.Task(Work.Hold, 1).Options(new TaskOptions { NumCpus = 64 }).Remote();
                var accelResult = ray.GetAsync(accelTask, TimeSpan.FromSeconds(90));

                // Watch until the accel task is done and 15 s have passed since the broken type's first failure.
                await cluster.PollAsync(
                    _ => accelResult.IsCompleted && cluster.FirstFailureOf("broken") is { } failed && DateTime.UtcNow - failed > TimeSpan.FromSeconds(15),
                    TimeSpan.FromSeconds(90),
                    "the accel task done and 15 s of watching the broken type after its first failure");
                accelNode = await accelResult;
                await ray.CancelAsync(infeasibleTask, force: true);
            }

            var seen = cluster.Observations;
            var launches = cluster.HeadLogLaunches();
            var launchText = string.Join('\n', launches.Select(l => l.Line));

            // (b) exactly one accel node, and the task ran there.
            Assert.True(launches.Where(l => l.Type == "accel").Sum(l => l.Count) == 1, launchText);
            var accelNodes = seen.SelectMany(v => v.Status.Rows.Where(r => r.IsAlive && r.Resources.Contains("accel", StringComparison.Ordinal)).Select(r => r.NodeId)).Distinct().ToList();
            Assert.True(accelNodes.Count == 1 && accelNodes[0] == accelNode, $"accel task ran on {accelNode}; accel nodes seen: {string.Join(", ", accelNodes)}\n{cluster.Summary()}");
            // (Whether a status call landed while the accel node was launching depends on the machine's speed: the
            // Pending section is shown by the scale-out test and StatusAutoscalerSectionsTests, not asserted here.)

            // (c) the 64-CPU task: nothing launched for it (every launch is accel's or broken's), reported infeasible.
            Assert.All(launches, l => Assert.True(l.Type is "accel" or "broken", l.Line));
            Assert.DoesNotContain(launches, l => l.Line.Contains("\"CPU\": 64", StringComparison.Ordinal));
            var last = seen[^1];
            Assert.Contains(last.Infeasible, l => l.Contains("\"CPU\": 64", StringComparison.Ordinal) && l.Contains("no node type", StringComparison.Ordinal));
            Assert.Contains("\"CPU\": 64.0}: 1+ pending tasks (infeasible", last.Status.Text, StringComparison.Ordinal);

            // (d) the broken type: in Recent failures with its reason, not relaunched in a tight loop.
            var failure = seen.SelectMany(v => v.Failures).FirstOrDefault(f => f.Type == "broken");
            Assert.True(failure.Reason is not null && failure.Reason.Contains("exited with code 2 before joining", StringComparison.Ordinal) && failure.Reason.Contains("--no-such-option", StringComparison.Ordinal), cluster.Summary());
            var firstFailure = cluster.FirstFailureOf("broken")!.Value;
            var brokenLaunches = launches.Where(l => l.Type == "broken").ToList();
            Assert.True(brokenLaunches.Count >= 1 && brokenLaunches.Count(l => l.At >= firstFailure.AddSeconds(-15) && l.At <= firstFailure.AddSeconds(15)) <= 2, launchText);
            Assert.True(brokenLaunches.Count <= 2, $"the broken type was launched {brokenLaunches.Count} times in {(DateTime.UtcNow - firstFailure).TotalSeconds:0} s after its first failure:\n{launchText}");

            await cluster.DownAndCheckAsync();
        }
        finally
        {
            _output.WriteLine(cluster.Summary());
        }
    }

    /// <summary>A bad config is refused by <c>up</c> with its file, line and field on one line (exit 2) before anything
    /// starts; <c>down</c> of a cluster that is not up says so; <c>--autoscaling-config</c> belongs to the head.</summary>
    [Fact]
    public async Task Up_refuses_a_bad_config_with_file_line_and_field_and_down_of_a_cluster_not_up_says_so()
    {
        using var command = new OrleansRayCommand("oas-");
        var bad = Path.Combine(command.TempDirectory, "bad.yaml");
        File.WriteAllText(bad, """
            cluster_name: demo
            provider: {type: local}
            head_node_type: head
            available_node_types:
              head: {resources: {CPU: 1}}
              worker:
                resources: {CPU: 2}
                min_workers: 3
                max_workers: 1
            """);

        var up = await command.RunAsync("up", bad);

        Assert.True(up.ExitCode == 2, up.ToString());
        var line = Assert.Single(up.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error: {bad}:8: available_node_types.worker.min_workers: ", line, StringComparison.Ordinal);
        Assert.Empty(command.NodePids());
        Assert.False(Directory.Exists(Path.Combine(command.TempDirectory, "nodes")));

        // A head start option `start` refuses, when parsing (an unknown option) or checking a value (a port out of
        // range), is at its entry's line too.
        foreach (var (option, expected) in new[]
        {
            ("no-such-option: 1", $"error: {bad}:7: available_node_types.head.start_options.no-such-option: unknown option '--no-such-option'"),
            ("port: 70000", $"error: {bad}:7: available_node_types.head.start_options.port: --port 70000: a TCP port is 1-65535."),
        })
        {
            File.WriteAllText(bad, $"cluster_name: demo\nprovider: {{type: local}}\nhead_node_type: head\navailable_node_types:\n  head:\n    start_options:\n      {option}\n");
            var refused = await command.RunAsync("up", bad);
            Assert.True(refused.ExitCode == 2, refused.ToString());
            Assert.StartsWith(expected, Assert.Single(refused.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
            Assert.Empty(command.NodePids());
        }

        var good = Path.Combine(command.TempDirectory, "good.yaml");
        File.WriteAllText(good, "cluster_name: demo\nprovider: {type: local}\nhead_node_type: head\navailable_node_types:\n  head: {resources: {CPU: 1}}\n");
        var down = await command.RunAsync("down", good);
        Assert.True(down.ExitCode == 0 && down.Output.Contains("Cluster 'demo' is not up on this machine", StringComparison.Ordinal), down.ToString());

        var worker = await command.RunAsync("start", "--address", "127.0.0.1:1", "--autoscaling-config", good);
        Assert.True(worker.ExitCode == 2 && worker.Error.Contains("--autoscaling-config runs the autoscaler on the head", StringComparison.Ordinal), worker.ToString());
    }

    /// <summary>What one <c>status</c> showed: the parsed table, the autoscaler's Pending and Recent failures entries,
    /// its infeasible lines, and the alive workers (every alive node but the head).</summary>
    internal sealed record Observation(double Seconds, ClusterStatus Status, IReadOnlyList<(string Type, string Id)> Pending, IReadOnlyList<(string Type, string Id, string Reason)> Failures, IReadOnlyList<string> Infeasible, IReadOnlyList<string> AliveWorkers)
    {
        public override string ToString() => string.Create(
            CultureInfo.InvariantCulture,
            $"{Seconds,6:0.0} s  alive workers {AliveWorkers.Count}, pending [{string.Join(", ", Pending.Select(p => $"{p.Type} {p.Id}"))}], failures [{string.Join(", ", Failures.Select(f => $"{f.Type} {f.Id}"))}], infeasible {Infeasible.Count}");
    }

    /// <summary>A cluster of <c>orleansray up</c> in a private ORLEANSRAY_TEMP_DIR: writes the config, runs up, status and
    /// down, tracks every node process it sees (pid files, the local provider's records) with its object store, and on
    /// dispose runs down and kills whatever is left.</summary>
    private sealed partial class AutoscaledCluster : IAsyncDisposable
    {
        private static readonly TimeSpan ExitDeadline = TimeSpan.FromSeconds(30);

        private readonly OrleansRayCommand _command;
        private readonly string? _gate;
        private readonly string _name;
        private readonly ITestOutputHelper _output;
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly List<Observation> _observations = [];
        private readonly List<string> _timeline = [];
        private readonly Dictionary<int, ProcessTree.Identity> _processes = [];
        private readonly Dictionary<string, DateTime> _firstFailure = new(StringComparer.Ordinal);
        private bool _down;

        /// <param name="holdWorkerStarts">Start every worker held by the StartGate startup hook until
        /// <see cref="OpenWorkerGate"/> (opened on dispose at the latest).</param>
        public AutoscaledCluster(string name, ITestOutputHelper output, bool holdWorkerStarts = false)
        {
            _name = name;
            _output = output;
            var gate = Path.Combine(Path.GetTempPath(), "oas-gate-" + Guid.NewGuid().ToString("N")[..12]);
            _command = holdWorkerStarts
                ? new("oas-", new Dictionary<string, string> { ["DOTNET_STARTUP_HOOKS"] = Path.Combine(AppContext.BaseDirectory, "OrleansRay.Cluster.StartGate.dll"), [StartupHook.GateVariable] = gate })
                : new("oas-");
            _gate = holdWorkerStarts ? gate : null;
        }

        /// <summary>Lets held workers start (see the constructor).</summary>
        public void OpenWorkerGate()
        {
            if (_gate is not null && !File.Exists(_gate))
            {
                File.WriteAllText(_gate, "open");
                Note("worker gate opened");
            }
        }

        public string ConfigFile => Path.Combine(_command.TempDirectory, "cluster.yaml");

        public string Address { get; private set; } = string.Empty;

        public int HeadPort { get; private set; }

        public string? AuthToken => File.Exists(Path.Combine(_command.TempDirectory, "orleansray_auth_token"))
            ? File.ReadAllText(Path.Combine(_command.TempDirectory, "orleansray_auth_token")).Trim()
            : null;

        public List<Observation> Observations => [.. _observations];

        /// <summary>When status first listed a failure of <paramref name="type"/> (null: not yet).</summary>
        public DateTime? FirstFailureOf(string type) => _firstFailure.TryGetValue(type, out var at) ? at : null;

        /// <summary>Writes the config: a head of 1 CPU loading the TestApp on fresh ports, and <paramref name="workerTypes"/>
        /// (YAML entries of available_node_types, indented two spaces).</summary>
        public void WriteConfig(int maxWorkers, double idleTimeoutMinutes, string workerTypes)
        {
            HeadPort = TestPorts.Free();
            var nodePort = TestPorts.Free();
            var dashboardPort = TestPorts.Free();
            Address = string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{HeadPort}");
            var text = string.Create(CultureInfo.InvariantCulture, $"""
                cluster_name: {_name}
                max_workers: {maxWorkers}
                idle_timeout_minutes: {idleTimeoutMinutes}
                provider: {"{"}type: local{"}"}
                head_node_type: head
                available_node_types:
                  head:
                    resources: {"{"}CPU: 1{"}"}
                    start_options:
                      port: {HeadPort}
                      node-port: {nodePort}
                      dashboard-port: {dashboardPort}
                      object-store-memory: 268435456
                      load: {LocalCluster.TestAppAssembly}

                """) + workerTypes + "\n";
            File.WriteAllText(ConfigFile, text);
            Note("config:\n" + text);
        }

        public async Task UpAsync()
        {
            Note("orleansray up");
            var up = await _command.RunAsync("up", ConfigFile);
            Note($"orleansray up returned {up.ExitCode}");
            Track();
            Assert.True(up.ExitCode == 0, up.ToString());
            Assert.Contains($"Cluster '{_name}' is up", up.Output, StringComparison.Ordinal);
            Assert.Contains(Address, up.Output, StringComparison.Ordinal);
            Assert.Matches(@"Dashboard\s+http://127\.0\.0\.1:\d+", up.Output);
        }

        /// <summary>Runs status, reads it back, records what it showed.</summary>
        public async Task<Observation> StatusAsync()
        {
            var result = await _command.RunAsync("status", "--address", Address);
            Track();
            if (result.ExitCode != 0)
            {
                throw new InvalidOperationException($"orleansray status failed: {result}");
            }

            var status = ClusterStatus.Parse(result.Output);
            var (pending, failures, infeasible) = ReadAutoscaler(result.Output);
            var workers = status.Rows.Where(r => r.IsAlive && !r.NodeId.StartsWith(HeadNodePrefix, StringComparison.Ordinal)).Select(r => r.NodeId).ToList();
            var observation = new Observation(_clock.Elapsed.TotalSeconds, status, pending, failures, infeasible, workers);
            foreach (var failure in failures)
            {
                _firstFailure.TryAdd(failure.Type, DateTime.UtcNow);
            }

            _observations.Add(observation);
            return observation;
        }

        private string HeadNodePrefix => HeadNodeId ??= ReadHeadNodeId();

        private string? HeadNodeId { get; set; }

        private string ReadHeadNodeId()
        {
            var record = NodeRecordOf(Path.Combine(_command.NodesDirectory, string.Create(CultureInfo.InvariantCulture, $"node-{HeadPort}.json")));
            return string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{record?.NodePort}@");
        }

        /// <summary>Polls status until <paramref name="condition"/> holds for the latest observation.</summary>
        public async Task PollAsync(Func<Observation, bool> condition, TimeSpan deadline, string what)
        {
            Observation? last = null;
            await Poll.UntilAsync(async () => condition(last = await StatusAsync()), deadline, what, () => last?.Status.Text ?? "(no status)");
            Note($"status: {what}");
        }

        /// <summary>The head's log lines (the autoscaler logs its decisions there).</summary>
        public IReadOnlyList<string> HeadLog()
        {
            var record = NodeRecordOf(Path.Combine(_command.NodesDirectory, string.Create(CultureInfo.InvariantCulture, $"node-{HeadPort}.json")));
            return record?.LogFile is { } log && File.Exists(log) ? File.ReadAllLines(log) : [];
        }

        /// <summary>The autoscaler's launch lines in the head's log: when, how many, which type.</summary>
        public IReadOnlyList<(DateTime At, int Count, string Type, string Line)> HeadLogLaunches() =>
            HeadLog().Select(l => (Line: l, Match: LaunchLine().Match(l)))
                .Where(x => x.Match.Success)
                .Select(x => (
                    DateTime.ParseExact(x.Match.Groups["at"].Value, "yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal).ToUniversalTime(),
                    int.Parse(x.Match.Groups["count"].Value, CultureInfo.InvariantCulture),
                    x.Match.Groups["type"].Value,
                    x.Line))
                .ToList();

        /// <summary>Runs down and checks its promise: exit 0, every node and object store process this test saw is gone
        /// (none had to be killed by the test), no pid file left.</summary>
        public async Task DownAndCheckAsync()
        {
            Track();
            Note("orleansray down");
            _down = true;
            var down = await _command.RunAsync("down", ConfigFile);
            Note($"orleansray down returned {down.ExitCode}");
            Assert.True(down.ExitCode == 0, down.ToString());
            Assert.Contains("no process of it is left", down.Output, StringComparison.Ordinal);
            var tracked = _processes.Values.ToList();
            Assert.True(tracked.Count >= 2, $"tracked only {string.Join(", ", tracked)}");
            try
            {
                // Object stores exit by themselves once their node is gone (they watch their parent).
                await Poll.UntilAsync(() => tracked.All(p => !ProcessTree.IsRunning(p)), ExitDeadline, "every node and object store process to exit after `orleansray down`");
            }
            catch (TimeoutException)
            {
                // Reported by the assertion below.
            }

            var survivors = tracked.Where(ProcessTree.IsRunning).ToList();
            Assert.True(survivors.Count == 0, $"`down` left {string.Join(", ", survivors)}\n{down}");
            Assert.Empty(_command.NodePids());

            var again = await _command.RunAsync("down", ConfigFile);
            Assert.True(again.ExitCode == 0 && again.Output.Contains("is not up", StringComparison.Ordinal), again.ToString());
        }

        public string Summary() =>
            string.Join('\n', _timeline) + "\n--- status observations:\n" + string.Join('\n', _observations) +
            "\n--- head log (autoscaler):\n" + string.Join('\n', HeadLog().Where(l => l.Contains("Autoscaler", StringComparison.Ordinal)));

        public async ValueTask DisposeAsync()
        {
            try
            {
                OpenWorkerGate();
                if (!_down)
                {
                    Track();
                    await _command.RunAsync("down", ConfigFile);
                }
            }
            finally
            {
                foreach (var process in _processes.Values.Where(ProcessTree.IsRunning))
                {
                    _output.WriteLine($"killing leftover {process}");
                    await ProcessTree.KillAsync(process, ExitDeadline);
                }

                _command.Dispose();
                if (_gate is not null)
                {
                    File.Delete(_gate);
                }
            }
        }

        /// <summary>Remembers every node process the pid files and the provider's records name now, with its object store.</summary>
        private void Track()
        {
            var pids = _command.NodePids().ToList();
            foreach (var session in Directory.Exists(_command.TempDirectory) ? Directory.EnumerateDirectories(_command.TempDirectory, "session_*") : [])
            {
                var folder = Path.Combine(session, "autoscaler");
                if (!Directory.Exists(folder))
                {
                    continue;
                }

                foreach (var file in Directory.EnumerateFiles(folder, "worker-*.json"))
                {
                    try
                    {
                        using var document = JsonDocument.Parse(File.ReadAllText(file));
                        pids.Add(document.RootElement.GetProperty("Pid").GetInt32());
                    }
                    catch (Exception ex) when (ex is IOException or JsonException)
                    {
                        // Being written or removed right now.
                    }
                }
            }

            foreach (var pid in pids.Where(p => !_processes.ContainsKey(p)))
            {
                if (ProcessTree.Identify(pid, string.Create(CultureInfo.InvariantCulture, $"node pid {pid}")) is { } node)
                {
                    _processes[pid] = node;
                }
            }

            foreach (var node in _processes.Values.ToList())
            {
                foreach (var store in ProcessTree.Children(node.Pid, "orleansray-store").Where(s => !_processes.ContainsKey(s.Pid)))
                {
                    _processes[store.Pid] = store with { What = $"object store of {node.What}" };
                }
            }
        }

        private void Note(string what) =>
            _timeline.Add(string.Create(CultureInfo.InvariantCulture, $"{_clock.Elapsed.TotalSeconds,7:0.00} s  {what}"));

        private static (int Pid, int NodePort, string? LogFile)? NodeRecordOf(string pidFile)
        {
            try
            {
                using var document = JsonDocument.Parse(File.ReadAllText(pidFile));
                var root = document.RootElement;
                return (root.GetProperty("Pid").GetInt32(), root.GetProperty("NodePort").GetInt32(), root.GetProperty("LogFile").GetString());
            }
            catch (Exception ex) when (ex is IOException or JsonException or KeyNotFoundException)
            {
                return null;
            }
        }

        /// <summary>The autoscaler sections of status: " TYPE: launching, ADDRESS (id ID, for N s)" under Pending:,
        /// " TYPE: REASON (id ID, N s ago)" under Recent failures: (a long line may wrap), the infeasible lines.</summary>
        private static (List<(string Type, string Id)>, List<(string Type, string Id, string Reason)>, List<string>) ReadAutoscaler(string output)
        {
            var pending = new List<(string, string)>();
            var failures = new List<(string, string, string)>();
            var infeasible = new List<string>();
            string? section = null;
            var entry = string.Empty;
            void Flush()
            {
                if (entry.Length == 0)
                {
                    return;
                }

                if (section == "pending" && PendingEntry().Match(entry) is { Success: true } p)
                {
                    pending.Add((p.Groups["type"].Value, p.Groups["id"].Value));
                }
                else if (section == "failures" && FailureEntry().Match(entry) is { Success: true } f)
                {
                    failures.Add((f.Groups["type"].Value, f.Groups["id"].Value, f.Groups["reason"].Value));
                }
                else if (section == "infeasible")
                {
                    infeasible.Add(entry.Trim());
                }

                entry = string.Empty;
            }

            foreach (var raw in output.Split('\n').Select(l => l.TrimEnd('\r')))
            {
                if (raw.StartsWith(' ') && section is not null)
                {
                    Flush();
                    entry = raw;
                    continue;
                }

                if (raw.Length > 0 && !raw.StartsWith(' ') && entry.Length > 0 && section is not null && !raw.EndsWith(':'))
                {
                    entry += raw; // a wrapped line
                    continue;
                }

                Flush();
                section = raw switch
                {
                    "Pending:" => "pending",
                    "Recent failures:" => "failures",
                    _ when raw.StartsWith("Infeasible for the autoscaler", StringComparison.Ordinal) => "infeasible",
                    _ => null,
                };
            }

            Flush();
            return (pending, failures, infeasible);
        }

        [GeneratedRegex(@"^ (?<type>[\w.-]+): launching, .* \(id (?<id>[^,]+), for")]
        private static partial Regex PendingEntry();

        [GeneratedRegex(@"^ (?<type>[\w.-]+): (?<reason>.*) \(id (?<id>[^,]+), [\d.]+ s ago\)$", RegexOptions.Singleline)]
        private static partial Regex FailureEntry();

        [GeneratedRegex(@"^(?<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) .*Autoscaler: launching (?<count>\d+) node\(s\) of type '(?<type>[\w.-]+)'")]
        private static partial Regex LaunchLine();
    }
}
