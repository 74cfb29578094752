using System.Globalization;
using System.Text.Json;
using OrleansRay.Cluster.Tests.Fixtures;
using OrleansRay.Tests.Processes;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace OrleansRay.Cluster.Tests;

/// <summary>Issue 12: a driver's code travels with its job. A cluster of three real nodes started with no <c>--load</c>
/// runs ShipApp, a driver program built only for these tests (two builds of the assembly name "ShipApp" whose function
/// bodies differ), connected by address; the builds run at the same time on the same nodes and each sees its own; nodes
/// unload a job's code when it ends, and fifty jobs in a row leave a node's memory and load contexts flat. The three
/// tests share one cluster (<see cref="ShipCluster"/>): each starts only once every node has unloaded all job code, so
/// no test sees another's jobs.</summary>
[TestCaseOrderer(ShipCluster.OrdererTypeName, ByNameOrderer.AssemblyName)]
public sealed class CodeShippingTests : IClassFixture<ShipCluster>, IAsyncLifetime
{
    private static readonly TimeSpan DriverDeadline = TimeSpan.FromSeconds(180);

    /// <summary>A node unloads an ended job's code within a few seconds (retirement runs every second after a 2 s grace);
    /// a killed driver's job ends once it has not reported for 15 s.</summary>
    private static readonly TimeSpan UnloadDeadline = TimeSpan.FromSeconds(90);

    private readonly ITestOutputHelper _output;
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "orleansray-ship-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly ShipCluster _shared;
    private LocalCluster _cluster = null!;

    public CodeShippingTests(ShipCluster shared, ITestOutputHelper output)
    {
        _shared = shared;
        _output = output;
    }

    /// <summary>A fresh folder, and the shared cluster with all three nodes running and no job's code loaded.</summary>
    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        _cluster = await _shared.ClusterAsync();
        await WaitForNoJobCodeAsync();
    }

    public Task DisposeAsync()
    {
        _shared.RanJobs();
        Directory.Delete(_folder, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Two_builds_of_one_driver_run_side_by_side_on_nodes_that_never_loaded_it_and_each_sees_its_own()
    {
        // Nodes that never saw ShipApp: no job has run on this cluster (it runs first; else a new cluster).
        _cluster = await _shared.ClusterWithNoJobYetAsync();
        var v1Ready = Path.Combine(_folder, "v1.ready");
        var v2Ready = Path.Combine(_folder, "v2.ready");

        var runs = await Task.WhenAll(
            RunDriverAsync(ShipApp("OrleansRay.Cluster.ShipApp"), "run", v1Ready, v2Ready),
            RunDriverAsync(ShipApp("OrleansRay.Cluster.ShipApp.V2"), "run", v2Ready, v1Ready));

        var (v1, v2) = (runs[0], runs[1]);
        Assert.True(v1.ExitCode == 0, v1 + _cluster.Diagnostics());
        Assert.True(v2.ExitCode == 0, v2 + _cluster.Diagnostics());
        // Round 1 ran as soon as each connected; round 2 after both were connected: the builds overlapped.
        foreach (var round in new[] { 1, 2 })
        {
            AssertChecks(v1, round, version: "v1", record: "m@v1 2,4,6", nestedRefs: "14", actor: "15", handle: "16", actorRecord: "total@v1 16");
            AssertChecks(v2, round, version: "v2", record: "m@v2 3,6,9", nestedRefs: "1014", actor: "60", handle: "70", actorRecord: "total@v2 70");
        }

        // Every node ran each build's code (spread tasks), and the job's environment reached its tasks.
        Assert.Equal("3", Check(v1, 2, "spread-nodes"));
        Assert.Equal("3", Check(v2, 2, "spread-nodes"));
        Assert.Equal("hello from v1 run", Check(v1, 1, "env"));
        Assert.Equal("hello from v2 run", Check(v2, 1, "env"));
        Assert.Equal("hello from v1 run / task", Check(v1, 1, "env-task"));
        Assert.Equal("hello from v2 run / task", Check(v2, 1, "env-task"));

        // The same build again: the cluster has every file of it, so nothing is uploaded.
        var again = await RunDriverAsync(ShipApp("OrleansRay.Cluster.ShipApp"), "run");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal("v1", Check(again, 1, "version"));
        Assert.Contains("uploaded 0 files (0 bytes)", again.Output + again.Error, StringComparison.Ordinal);

        // All three jobs ended: every node unloads their code and the runtime collects the contexts.
        var contexts = await WaitForNoJobCodeAsync();
        _output.WriteLine($"job code contexts per node after the jobs ended: {string.Join(", ", contexts)}");
    }

    [Fact]
    public async Task A_detached_actor_answers_jobs_of_its_own_build_and_tells_another_build_why_it_cannot()
    {
        var name = "acc-" + Guid.NewGuid().ToString("N")[..8];
        var created = await RunDriverAsync(ShipApp("OrleansRay.Cluster.ShipApp"), "detached", name);
        Assert.True(created.ExitCode == 0 && created.Output.Contains("created " + name, StringComparison.Ordinal), created + _cluster.Diagnostics());

        // Another build's method: refused, saying why and what to do (it named the job code twice and said no more).
        var other = await RunDriverAsync(ShipApp("OrleansRay.Cluster.ShipApp.V2"), "call-detached", name);
        Assert.True(other.ExitCode == 0, other.ToString());
        var failure = other.Output.Split('\n').Single(l => l.StartsWith("call failed: ", StringComparison.Ordinal));
        Assert.Contains("which is not loaded on this node. A call to an actor runs in the code of the job that created the actor", failure, StringComparison.Ordinal);
        Assert.Contains("Call it from the same build, or make it a grain-interface actor", failure, StringComparison.Ordinal);

        // The same once every node has loaded the other build's code (a reviewer got an InvalidCastException between the
        // two builds' Accumulator types instead: the method resolved in the caller's code, the instance was the creator's).
        var warmed = await RunDriverAsync(ShipApp("OrleansRay.Cluster.ShipApp.V2"), "call-detached", name, "warm");
        Assert.True(warmed.ExitCode == 0, warmed.ToString());
        var refused = warmed.Output.Split('\n').Single(l => l.StartsWith("call failed: ", StringComparison.Ordinal));
        Assert.StartsWith("call failed: RemoteFunctionNotFoundException: ", refused, StringComparison.Ordinal);
        Assert.Contains("was built from another job's code: a call to an actor runs in the code of the job that created the actor", refused, StringComparison.Ordinal);
        Assert.DoesNotContain("InvalidCastException", refused, StringComparison.Ordinal);

        // The same build from a new job: its code is the actor's, so the call runs (100 + 1 + 1).
        var same = await RunDriverAsync(ShipApp("OrleansRay.Cluster.ShipApp"), "call-detached", name, "kill");
        Assert.True(same.ExitCode == 0 && same.Output.Contains("called = 102", StringComparison.Ordinal), same.ToString());
        await WaitForNoJobCodeAsync();
    }

    [Fact]
    public async Task Fifty_jobs_in_a_row_leave_node_memory_and_load_contexts_flat()
    {
        // Each job of the run has its own environment variable, so its own code package: a node loads 50 contexts.
        var warmup = await RunDriverAsync(ShipApp("OrleansRay.Cluster.ShipApp"), "jobs", "10");
        Assert.True(warmup.ExitCode == 0, warmup + _cluster.Diagnostics());
        await WaitForNoJobCodeAsync();
        var before = await HeadHeapAsync();

        var run = await RunDriverAsync(ShipApp("OrleansRay.Cluster.ShipApp"), "jobs", "50");

        Assert.True(run.ExitCode == 0, run + _cluster.Diagnostics());
        Assert.Contains("job 50 done 100", run.Output, StringComparison.Ordinal);
        await WaitForNoJobCodeAsync();
        var after = await HeadHeapAsync();
        _output.WriteLine($"head node managed heap: {before >> 20} MiB after 10 jobs, {after >> 20} MiB after 50 more (every job's context unloaded and collected)");
        // A context kept alive would keep its serializer, assemblies and caches: megabytes per job, 50 jobs.
        Assert.True(after - before < 24L << 20, $"the head's heap grew from {before >> 20} MiB to {after >> 20} MiB over 50 jobs");
    }

    [Fact]
    public async Task A_killed_drivers_actors_die_and_every_node_unloads_its_code()
    {
        var start = new System.Diagnostics.ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ShipApp("OrleansRay.Cluster.ShipApp"));
        start.ArgumentList.Add("hold");
        start.Environment["ORLEANSRAY_ADDRESS"] = _cluster.Address;
        start.Environment["ORLEANSRAY_AUTH_TOKEN"] = _cluster.AuthToken;
        using var driver = System.Diagnostics.Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        driver.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        driver.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        driver.BeginOutputReadLine();
        driver.BeginErrorReadLine();
        try
        {
            await Poll.UntilAsync(
                () => { lock (output) { return output.ToString().Contains("holding", StringComparison.Ordinal); } },
                DriverDeadline,
                "the driver to run its round and keep an actor");
            Assert.Contains(await NodeFiguresAsync("jobCodeContexts"), c => c > 0);

            driver.Kill(entireProcessTree: true); // kill -9: no dispose, no goodbye
            await driver.WaitForExitAsync();

            // The job table marks the silent driver failed (15 s), nodes kill its actor, then unload its code.
            var contexts = await WaitForNoJobCodeAsync();
            _output.WriteLine($"job code contexts per node after the driver was killed: {string.Join(", ", contexts)}");
        }
        finally
        {
            if (!driver.HasExited)
            {
                driver.Kill(entireProcessTree: true);
            }
        }
    }

    private static string ShipApp(string project) =>
        RepositoryFiles.BuildOutput(Path.Combine("Tests", project), "ShipApp.dll");

    private Task<ProcessResult> RunDriverAsync(string assembly, params string[] arguments) =>
        ProcessRunner.RunAsync(
            Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet",
            [assembly, .. arguments],
            DriverDeadline,
            new Dictionary<string, string> { ["ORLEANSRAY_ADDRESS"] = _cluster.Address, ["ORLEANSRAY_AUTH_TOKEN"] = _cluster.AuthToken! });

    private static void AssertChecks(ProcessResult run, int round, string version, string record, string nestedRefs, string actor, string handle, string actorRecord)
    {
        Assert.Equal(version, Check(run, round, "version"));
        Assert.Equal(record, Check(run, round, "record"));
        Assert.Equal(nestedRefs, Check(run, round, "nested-refs"));
        Assert.Equal("42", Check(run, round, "ref-in-record"));
        Assert.Equal(actor, Check(run, round, "actor"));
        Assert.Equal(handle, Check(run, round, "handle-in-task"));
        Assert.Equal(actorRecord, Check(run, round, "actor-record"));
        Assert.Equal(version, Check(run, round, "spread-versions"));
        // A grain class shipped with the job is not hosted: a clear failure at once from the driver and from a task
        // (where Orleans itself would say only that the job's type "is not allowed").
        Assert.Equal("System.ArgumentException: No node of the cluster hosts a grain class implementing ShipApp.IShippedGrain.", Check(run, round, "grain-driver"));
        Assert.Equal(
            "System.ArgumentException: No node of the cluster hosts a grain class implementing ShipApp.IShippedGrain: it comes from code shipped with the job (assembly ShipApp), and Orleans learns grain classes only when a node starts.",
            Check(run, round, "grain-task"));
        // Refs of the job's own record type, as an argument (in a list) and as a result.
        Assert.Equal("a,b", Check(run, round, "refs-of-records"));
        Assert.Equal($"made@{version}", Check(run, round, "returned-ref"));
        Assert.Equal("1", Check(run, round, "put-copy"));
        Assert.Equal("died: broken 7", Check(run, round, "broken-actor"));
        // A void actor method set 7, then a shipped async Task function added 1 through the actor (v2's Add counts 10):
        // each ObjectRef<Unit> completed after its work, and read as Unit, "()".
        Assert.Equal(version == "v1" ? "() 8" : "() 17", Check(run, round, "nothing"));
    }

    /// <summary>The value the driver printed as "check ROUND NAME = VALUE".</summary>
    private static string Check(ProcessResult run, int round, string name)
    {
        var prefix = string.Create(CultureInfo.InvariantCulture, $"check {round} {name} = ");
        var line = run.Output.Split('\n').Select(l => l.TrimEnd('\r')).FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        Assert.True(line is not null, $"no '{prefix}' line in the driver's output:\n{run}");
        return line![prefix.Length..];
    }

    /// <summary>Waits until no node has a job's code loaded or its context in memory; returns each node's count.</summary>
    private async Task<int[]> WaitForNoJobCodeAsync()
    {
        int[] contexts = [];
        await Poll.UntilAsync(
            async () =>
            {
                contexts = await NodeFiguresAsync("jobCodeContexts");
                return contexts.Length == 3 && contexts.All(c => c == 0);
            },
            UnloadDeadline,
            "every node to unload the ended jobs' code",
            () => $"job code contexts per node: {string.Join(", ", contexts)} (loaded now: {string.Join(", ", NodeFiguresAsync("jobCodeLoaded").GetAwaiter().GetResult())})\n{_cluster.Diagnostics()}");
        return contexts;
    }

    private async Task<long> HeadHeapAsync()
    {
        using var document = await ObjectsAsync();
        return document.RootElement.GetProperty("nodes").EnumerateArray()
            .Where(n => _cluster.Head.Owns(n.GetProperty("node").GetString()))
            .Select(n => n.GetProperty("managedHeapBytes").GetInt64())
            .Single();
    }

    private async Task<int[]> NodeFiguresAsync(string figure)
    {
        using var document = await ObjectsAsync();
        return [.. document.RootElement.GetProperty("nodes").EnumerateArray()
            .Where(n => n.TryGetProperty(figure, out _))
            .Select(n => n.GetProperty(figure).GetInt32())];
    }

    private async Task<JsonDocument> ObjectsAsync()
    {
        var json = await _cluster.GetDashboardAsync("/api/objects");
        return JsonDocument.Parse(json);
    }
}

/// <summary>The cluster <see cref="CodeShippingTests"/> share: three CLI nodes started with no <c>--load</c> (so no node
/// knows ShipApp), a 64 MiB object store each. The test that needs nodes that never ran a job runs first (see
/// <see cref="Orderer"/>); should it run later, it gets a new cluster.</summary>
public sealed class ShipCluster : IAsyncLifetime
{
    /// <summary>The name to give <c>[TestCaseOrderer]</c>.</summary>
    public const string OrdererTypeName = "OrleansRay.Cluster.Tests.ShipCluster+Orderer";

    private const string NeedsNoJobYet = nameof(CodeShippingTests.Two_builds_of_one_driver_run_side_by_side_on_nodes_that_never_loaded_it_and_each_sees_its_own);

    private LocalCluster? _cluster;
    private bool _used;

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>The shared cluster (started on first use) with its three nodes running: a cluster one of whose nodes died
    /// (in a test that failed) is replaced, so one failure does not fail the tests after it too.</summary>
    public async Task<LocalCluster> ClusterAsync()
    {
        if (_cluster is not null && _cluster.RunningNodes.Count != 3)
        {
            await ReplaceAsync();
        }

        _cluster ??= await StartAsync();
        Assert.True(_cluster.RunningNodes.Count == 3, $"a node of the shared code shipping cluster died\n{_cluster.Diagnostics()}");
        return _cluster;
    }

    private async Task ReplaceAsync()
    {
        var old = _cluster!;
        _cluster = null; // a failed start below leaves no disposed cluster behind for the next test
        _used = false;
        await old.DisposeAsync();
        _cluster = await StartAsync();
    }

    /// <summary>Called by each test when it ends: jobs ran on the cluster.</summary>
    public void RanJobs() => _used = _cluster is not null;

    /// <summary>The shared cluster if no test ran a job on it yet, else a new one in its place.</summary>
    public async Task<LocalCluster> ClusterWithNoJobYetAsync()
    {
        if (_cluster is not null && _used)
        {
            await ReplaceAsync();
        }

        return await ClusterAsync();
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    private static Task<LocalCluster> StartAsync() =>
        LocalCluster.StartAsync(new LocalClusterOptions { Workers = 2, LoadTestApp = false, ObjectStoreMemory = 64L << 20 });

    /// <summary>The test that needs a cluster no job ran on first, then by name. For speed only (see above).</summary>
    public sealed class Orderer : ITestCaseOrderer
    {
        public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases)
            where TTestCase : ITestCase =>
            testCases.OrderBy(t => t.TestMethod.Method.Name == NeedsNoJobYet ? 0 : 1)
                .ThenBy(t => t.TestMethod.Method.Name, StringComparer.Ordinal)
                .ThenBy(t => t.UniqueID, StringComparer.Ordinal);
    }
}
