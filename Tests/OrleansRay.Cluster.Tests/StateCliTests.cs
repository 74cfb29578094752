using System.Text.Json;
using OrleansRay.Cluster.TestApp;
using OrleansRay.Cluster.Tests.Drivers;
using OrleansRay.Cluster.Tests.Fixtures;
using Xunit;
using Xunit.Abstractions;

namespace OrleansRay.Cluster.Tests;

/// <summary>Issue 15 on real node processes: <c>orleansray list|summary|memory</c> against the shared cluster show a
/// connected driver's work.</summary>
[Collection(ClusterCollection.Name)]
public sealed class StateCliTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly SharedCluster _shared;
    private readonly ITestOutputHelper _output;

    public StateCliTests(SharedCluster shared, ITestOutputHelper output)
    {
        _shared = shared;
        _output = output;
    }

    public Task InitializeAsync() => _shared.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task List_tasks_filtered_FAILED_as_json_returns_the_failed_tasks_of_a_drivers_run()
    {
        var cluster = _shared.Cluster;
        var marker = Random.Shared.Next(1_000_000, 9_000_000);
        await using (var ray = await Driver.ConnectAsync(cluster))
        {
            var failing = Enumerable.Range(0, 3).Select(i => ray.Task(Work.Refuse, marker + i).Options(new TaskOptions { MaxRetries = 0 }).Remote()).ToList();
            Assert.Equal(new[] { 4, 9 }, await ray.GetAsync(new[] { ray.Task(Work.Square, 2).Remote(), ray.Task(Work.Square, 3).Remote() }, Deadline));
            foreach (var f in failing)
            {
                await Assert.ThrowsAsync<RayTaskException>(async () => await ray.GetAsync(f, Deadline));
            }
        }

        var result = await cluster.RunAsync("list", "tasks", "--filter", "state=FAILED", "--filter", "name=Work.Refuse", "--format", "json", "--limit", "1000");
        _output.WriteLine(result.ToString());
        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        var ours = json.RootElement.EnumerateArray()
            .Where(t => t.GetProperty("error_message").GetString() is { } m && Enumerable.Range(0, 3).Any(i => m == $"refused input {marker + i}"))
            .ToList();
        Assert.Equal(3, ours.Count);
        Assert.All(ours, t =>
        {
            Assert.Equal("FAILED", t.GetProperty("state").GetString());
            Assert.Equal(typeof(InvalidOperationException).FullName, t.GetProperty("error_type").GetString());
            Assert.Contains(cluster.Nodes, n => n.Owns(t.GetProperty("node").GetString()));
        });
        Assert.All(json.RootElement.EnumerateArray(), t => Assert.Equal("FAILED", t.GetProperty("state").GetString()));

        var bad = await cluster.RunAsync("list", "tasks", "--filter", "colour=red");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("valid keys", bad.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_nodes_shows_each_nodes_gateway_as_its_address_not_its_node_id()
    {
        var cluster = _shared.Cluster;

        var result = await cluster.RunAsync("list", "nodes", "--filter", "state=ALIVE", "--format", "json");

        _output.WriteLine(result.ToString());
        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        var rows = json.RootElement.EnumerateArray().ToList();
        Assert.Equal(cluster.RunningNodes.Count, rows.Count);
        foreach (var node in cluster.RunningNodes)
        {
            var row = Assert.Single(rows, r => node.Owns(r.GetProperty("node_id").GetString()));
            Assert.Equal(node.Address, row.GetProperty("address").GetString()); // 127.0.0.1:<--port>, what a driver dials
            Assert.NotEqual(row.GetProperty("node_id").GetString(), row.GetProperty("address").GetString());
        }

        var head = await cluster.RunAsync("list", "nodes", "--filter", "address=" + cluster.Address, "--format", "json");
        Assert.Equal(0, head.ExitCode);
        using var headJson = JsonDocument.Parse(head.Output);
        Assert.True(cluster.Head.Owns(Assert.Single(headJson.RootElement.EnumerateArray().ToList()).GetProperty("node_id").GetString()), head.ToString());
    }

    /// <summary>Ray's <c>ray list tasks --filter "job_id=..."</c> (and actors): with two drivers connected, each job's
    /// filter lists that job's tasks and actor only, every row shows the job's id as <c>list jobs</c> does, and a job no
    /// table lists matches nothing.</summary>
    [Fact]
    public async Task List_tasks_and_actors_filtered_by_job_id_show_that_jobs_work_only()
    {
        var cluster = _shared.Cluster;
        var known = await JobIdsAsync(cluster);
        await using var first = await Driver.ConnectAsync(cluster);
        var firstJob = await NewJobAsync(cluster, known);
        Assert.Equal(new[] { 4, 9 }, await first.GetAsync(new[] { first.Task(Work.Square, 2).Remote(), first.Task(Work.Square, 3).Remote() }, Deadline));
        var counter = first.Actor(() => new Counter()).Remote();
        Assert.Equal(1, await first.GetAsync(counter.Task(CounterCalls.Increment).Remote(), Deadline));

        known.Add(firstJob);
        await using var second = await Driver.ConnectAsync(cluster);
        var secondJob = await NewJobAsync(cluster, known);
        Assert.Equal(new[] { 16, 25 }, await second.GetAsync(new[] { second.Task(Work.Square, 4).Remote(), second.Task(Work.Square, 5).Remote() }, Deadline));

        var firstTasks = await ListAsync(cluster, "tasks", firstJob);
        var secondTasks = await ListAsync(cluster, "tasks", secondJob);
        Assert.True(firstTasks.Count(t => t.GetProperty("name").GetString() == "Work.Square") >= 2, string.Join("\n", firstTasks));
        Assert.True(secondTasks.Count(t => t.GetProperty("name").GetString() == "Work.Square") >= 2, string.Join("\n", secondTasks));
        Assert.All(firstTasks, t => Assert.Equal(firstJob, t.GetProperty("job_id").GetString()));
        Assert.All(secondTasks, t => Assert.Equal(secondJob, t.GetProperty("job_id").GetString()));
        Assert.Empty(firstTasks.Select(t => t.GetProperty("task_id").GetString()).Intersect(secondTasks.Select(t => t.GetProperty("task_id").GetString())));

        var firstActors = await ListAsync(cluster, "actors", firstJob);
        Assert.Contains(firstActors, a => a.GetProperty("class_name").GetString()!.Contains(nameof(Counter), StringComparison.Ordinal));
        Assert.All(firstActors, a => Assert.Equal(firstJob, a.GetProperty("job_id").GetString()));
        Assert.DoesNotContain(await ListAsync(cluster, "actors", secondJob), a => a.GetProperty("class_name").GetString()!.Contains(nameof(Counter), StringComparison.Ordinal));

        Assert.Empty(await ListAsync(cluster, "tasks", "no-such-job"));
    }

    /// <summary>Ray's <c>ray list placement-groups</c> has <c>creator_job_id</c> and <c>is_detached</c>: in JSON, in the
    /// table, and as filters.</summary>
    [Fact]
    public async Task List_placement_groups_shows_each_groups_creator_job_and_lifetime()
    {
        var cluster = _shared.Cluster;
        var known = await JobIdsAsync(cluster);
        await using var driver = await Driver.ConnectAsync(cluster);
        var job = await NewJobAsync(cluster, known);
        var name = "cli-pg-" + Guid.NewGuid().ToString("N")[..8];
        var group = await driver.CreatePlacementGroupAsync([new Bundle { ["CPU"] = 0.1 }], PlacementStrategy.Pack, name);
        try
        {
            var result = await cluster.RunAsync("list", "placement-groups", "--filter", "creator_job_id=" + job, "--filter", "is_detached=false", "--format", "json");
            _output.WriteLine(result.ToString());
            Assert.Equal(0, result.ExitCode);
            using var json = JsonDocument.Parse(result.Output);
            var row = Assert.Single(json.RootElement.EnumerateArray().ToList(), r => r.GetProperty("name").GetString() == name);
            Assert.Equal(job, row.GetProperty("creator_job_id").GetString());
            Assert.False(row.GetProperty("is_detached").GetBoolean());

            var table = await cluster.RunAsync("list", "placement-groups", "--filter", "name=" + name);
            Assert.Equal(0, table.ExitCode);
            Assert.Contains("Detached", table.Output, StringComparison.Ordinal);
            Assert.Contains(job, table.Output, StringComparison.Ordinal);
        }
        finally
        {
            await driver.RemovePlacementGroupAsync(group);
        }
    }

    private static async Task<List<JsonElement>> ListAsync(LocalCluster cluster, string resource, string jobId)
    {
        var result = await cluster.RunAsync("list", resource, "--filter", "job_id=" + jobId, "--format", "json", "--limit", "10000");
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Output);
        return json.RootElement.EnumerateArray().Select(e => e.Clone()).ToList();
    }

    private static async Task<HashSet<string>> JobIdsAsync(LocalCluster cluster)
    {
        var result = await cluster.RunAsync("list", "jobs", "--format", "json", "--limit", "10000");
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Output);
        return json.RootElement.EnumerateArray().Select(j => j.GetProperty("job_id").GetString()!).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The one running job not in <paramref name="known"/>: the driver just connected (its row comes with its start).</summary>
    private static async Task<string> NewJobAsync(LocalCluster cluster, HashSet<string> known)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (true)
        {
            var result = await cluster.RunAsync("list", "jobs", "--filter", "status=RUNNING", "--format", "json", "--limit", "10000");
            Assert.True(result.ExitCode == 0, result.ToString());
            using var json = JsonDocument.Parse(result.Output);
            var fresh = json.RootElement.EnumerateArray().Select(j => j.GetProperty("job_id").GetString()!).Where(id => !known.Contains(id)).ToList();
            if (fresh.Count == 1)
            {
                return fresh[0];
            }

            Assert.True(fresh.Count == 0 && DateTime.UtcNow < deadline, $"expected one new running job, found {string.Join(", ", fresh)}\n{result}");
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
    }

    /// <summary>Ray's <c>ray list nodes</c> has <c>is_head_node</c>: the head's row is true, every worker's false, in
    /// JSON, in the table, and as a filter.</summary>
    [Fact]
    public async Task List_nodes_marks_the_head_with_is_head_node_and_filters_by_it()
    {
        var cluster = _shared.Cluster;

        var result = await cluster.RunAsync("list", "nodes", "--filter", "state=ALIVE", "--format", "json");

        _output.WriteLine(result.ToString());
        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        var rows = json.RootElement.EnumerateArray().ToList();
        Assert.Equal(cluster.RunningNodes.Count, rows.Count);
        foreach (var node in cluster.RunningNodes)
        {
            var row = Assert.Single(rows, r => node.Owns(r.GetProperty("node_id").GetString()));
            Assert.Equal(node.IsHead, row.GetProperty("is_head_node").GetBoolean());
        }

        var heads = await cluster.RunAsync("list", "nodes", "--filter", "is_head_node=true", "--format", "json");
        Assert.Equal(0, heads.ExitCode);
        using var headsJson = JsonDocument.Parse(heads.Output);
        Assert.True(cluster.Head.Owns(Assert.Single(headsJson.RootElement.EnumerateArray().ToList()).GetProperty("node_id").GetString()), heads.ToString());

        var table = await cluster.RunAsync("list", "nodes", "--filter", "is_head_node=true");
        Assert.Equal(0, table.ExitCode);
        Assert.Contains("Head", table.Output, StringComparison.Ordinal);
        Assert.Contains(cluster.Head.Address, table.Output, StringComparison.Ordinal);
    }

    /// <summary><c>status</c> names each node by the address <c>list nodes</c> shows, <c>start</c> printed and <c>stop</c>
    /// and <c>down</c> name it by (its client port), beside its node id, and marks the head.</summary>
    [Fact]
    public async Task Status_names_each_node_by_its_list_nodes_address_and_marks_the_head()
    {
        var cluster = _shared.Cluster;

        var status = await cluster.RunAsync("status");

        _output.WriteLine(status.ToString());
        Assert.Equal(0, status.ExitCode);
        foreach (var node in cluster.RunningNodes)
        {
            var address = node.IsHead ? node.Address + " (head)" : node.Address + " ";
            Assert.Contains(status.Output.Split('\n'), l => l.Contains(node.NodeIdPrefix, StringComparison.Ordinal) && l.Contains(address, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Timeline_writes_a_chrome_trace_of_a_drivers_finished_tasks_and_refuses_a_folder_as_its_output()
    {
        var cluster = _shared.Cluster;
        var marker = Random.Shared.Next(1_000_000, 9_000_000);
        var known = await JobIdsAsync(cluster);
        string jobId;
        await using (var ray = await Driver.ConnectAsync(cluster))
        {
            jobId = await NewJobAsync(cluster, known);
            Assert.Equal(new[] { 4, 9, 16 }, await ray.GetAsync(new[] { 2, 3, 4 }.Select(i => ray.Task(Work.Square, i).Remote()), Deadline));
            await Assert.ThrowsAsync<RayTaskException>(async () => await ray.GetAsync(ray.Task(Work.Refuse, marker).Options(new TaskOptions { MaxRetries = 0 }).Remote(), Deadline));
        }

        var folder = Directory.CreateTempSubdirectory("orleansray-timeline-test-");
        try
        {
            var path = Path.Combine(folder.FullName, "trace.json");
            var result = await cluster.RunAsync("timeline", "--filter", "job_id=" + jobId, "--output", path);
            _output.WriteLine(result.ToString());
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Contains($"Trace file written to {path} (4 tasks on ", result.Output, StringComparison.Ordinal);
            using var trace = JsonDocument.Parse(await File.ReadAllBytesAsync(path));
            var tasks = trace.RootElement.EnumerateArray().Where(e => e.GetProperty("ph").GetString() == "X").ToList();
            Assert.Equal(3, tasks.Count(e => e.GetProperty("name").GetString() == "Work.Square"));
            var refused = Assert.Single(tasks, e => e.GetProperty("name").GetString() == "Work.Refuse");
            Assert.Equal($"{typeof(InvalidOperationException).FullName}: refused input {marker}", refused.GetProperty("args").GetProperty("error").GetString());
            Assert.All(tasks, e =>
            {
                Assert.Equal(jobId, e.GetProperty("args").GetProperty("job_id").GetString());
                Assert.Contains(cluster.Nodes, n => n.Owns(e.GetProperty("args").GetProperty("node").GetString()));
                Assert.True(e.GetProperty("dur").GetDouble() >= 0);
            });

            var bad = await cluster.RunAsync("timeline", "--output", folder.FullName);
            Assert.True(bad.ExitCode == 2, bad.ToString());
            var line = Assert.Single(bad.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith($"error: --output '{folder.FullName}' is a folder: give a file name", line, StringComparison.Ordinal);

            var empty = await cluster.RunAsync("timeline", "--output", "");
            Assert.True(empty.ExitCode == 2, empty.ToString());
            Assert.Equal("error: --output is empty: give a file name, e.g. --output timeline.json, or leave --output out for a file in the temp folder.", Assert.Single(empty.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries)));

            var unwritable = await cluster.RunAsync("timeline", "--output", "/proc/orleansray-timeline.json");
            Assert.True(unwritable.ExitCode == 2, unwritable.ToString());
            Assert.StartsWith("error: cannot write the trace to /proc/orleansray-timeline.json: ", Assert.Single(unwritable.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);

            var none = await cluster.RunAsync("timeline", "--filter", "job_id=no-such-job", "--output", Path.Combine(folder.FullName, "none.json"));
            Assert.True(none.ExitCode == 0, none.ToString());
            Assert.Contains("(0 tasks on 0 nodes)", none.Output, StringComparison.Ordinal);
            Assert.StartsWith("warning: no finished task matches the filters; the trace is empty.", none.Error.Trim(), StringComparison.Ordinal);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Get_actor_of_an_unknown_id_is_one_line_with_exit_code_2_as_an_unknown_job_is()
    {
        var result = await _shared.Cluster.RunAsync("get", "actor", "no-such-actor");

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("error: no actor with id 'no-such-actor': `orleansray list actors` shows the actors the cluster knows.", line);
    }

    [Fact]
    public async Task Memory_shows_a_drivers_stored_result_by_owner_with_its_size_and_node()
    {
        var cluster = _shared.Cluster;
        await using var ray = await Driver.ConnectAsync(cluster);
        var ramp = ray.Task(Arrays.Ramp, 1 << 20, 1.0).Remote(); // 8 MiB: stored in the store of the node that made it
        var (ready, _) = await ray.WaitAsync([ramp], numReturns: 1, timeout: Deadline);
        Assert.True(ready.Count == 1, "the result is ready");

        var result = await cluster.RunAsync("memory", "--format", "json", "--filter", "object_id=" + ramp.Id, "--limit", "10");
        _output.WriteLine(result.ToString());
        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        var row = Assert.Single(json.RootElement.GetProperty("objects").EnumerateArray());
        Assert.Equal("STORE", row.GetProperty("location").GetString());
        Assert.True(row.GetProperty("size_bytes").GetInt64() >= 8L << 20);
        Assert.Equal("LOCAL_REFERENCE", row.GetProperty("reference_type").GetString());
        Assert.Contains(cluster.Nodes, n => n.Owns(row.GetProperty("store_node").GetString()));
        // One store row per live node (the shared cluster also remembers nodes earlier tests killed or stopped).
        Assert.Equal(cluster.RunningNodes.Count, json.RootElement.GetProperty("stores").GetArrayLength());
        GC.KeepAlive(ramp);
    }

    [Fact]
    public async Task Memory_shows_a_spilled_object_as_spilled_and_a_recently_read_one_as_in_memory()
    {
        // A shared worker's store is LocalClusterOptions.ObjectStoreMemory (256 MiB): 20 live results of 16 MiB made
        // there (320 MiB) spill the least recently used ones to disk.
        const int Count = 20;
        const int Doubles = 2 << 20;
        var cluster = _shared.Cluster;
        var worker = _shared.Workers[0];
        await using var ray = await Driver.ConnectAsync(cluster);
        var there = new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(await Driver.IdOfAsync(ray, worker)) };
        var refs = Enumerable.Range(0, Count).Select(i => ray.Task(Arrays.Ramp, Doubles, (double)i).Options(there).Remote()).ToList();
        var (ready, _) = await ray.WaitAsync(refs, numReturns: Count, timeout: Deadline);
        Assert.Equal(Count, ready.Count);

        var rows = await OurRowsAsync(cluster, refs);
        Assert.All(rows.Values, r => Assert.True(worker.Owns(r.StoreNode), $"stored on the worker, not {r.StoreNode}"));
        Assert.All(rows.Values, r => Assert.NotNull(r.Spilled)); // stored objects: the store says true or false
        var spilled = refs.FindIndex(r => rows[r.Id.ToString()].Spilled == true);
        Assert.True(spilled >= 0, "320 MiB of live results in a 256 MiB store: at least one is shown spilled");
        Assert.False(rows[refs[^1].Id.ToString()].Spilled, "the newest result is in memory");

        // The table counts them too.
        var table = await cluster.RunAsync("memory", "--limit", "1000");
        _output.WriteLine(table.ToString());
        Assert.Equal(0, table.ExitCode);
        var counted = System.Text.RegularExpressions.Regex.Match(table.Output, @"Spilled: (\d+) of \d+ object\(s\) shown");
        Assert.True(counted.Success && int.Parse(counted.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= rows.Values.Count(r => r.Spilled == true), "memory's table counts the spilled objects");

        // Reading the spilled one on its node restores it: now shown in memory.
        var (exact, _) = await ray.GetAsync(ray.Task(Arrays.IsRamp, refs[spilled], Doubles, (double)spilled).Options(there).Remote(), Deadline);
        Assert.True(exact);
        rows = await OurRowsAsync(cluster, refs);
        Assert.False(rows[refs[spilled].Id.ToString()].Spilled, $"result {spilled} was just read back into memory");
        Assert.Contains(rows.Values, r => r.Spilled == true); // restoring it spilled another one
        GC.KeepAlive(refs);
    }

    [Fact]
    public async Task Status_shows_the_object_stores_real_use_under_Usage_as_memory_does()
    {
        var cluster = _shared.Cluster;
        await using var ray = await Driver.ConnectAsync(cluster);
        var put = await ray.PutAsync(new double[8 << 20]); // 64 MiB in a node's store (256 MiB each)

        // Status reads the stores now: the line shows at least the 64 MiB just put, not 0B.
        var status = await cluster.RunAsync("status");
        _output.WriteLine(status.ToString());
        Assert.Equal(0, status.ExitCode);
        var line = Assert.Single(status.Output.Split('\n'), l => l.TrimEnd().EndsWith(" object_store_memory", StringComparison.Ordinal));
        var used = System.Text.RegularExpressions.Regex.Match(line, @"^\s*([0-9.]+)(B|KiB|MiB|GiB)/");
        Assert.True(used.Success, $"a usage line: {line}");
        var bytes = double.Parse(used.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) * used.Groups[2].Value switch
        {
            "GiB" => 1 << 30,
            "MiB" => 1 << 20,
            "KiB" => 1 << 10,
            _ => 1,
        };
        Assert.True(bytes >= 64 << 20, $"status shows the store's real use (at least the 64 MiB put): {line}");
        GC.KeepAlive(put);
    }

    /// <summary>Runs <c>orleansray memory --format json</c> and returns its rows for <paramref name="refs"/>; checks the
    /// summary's spilled count against the rows.</summary>
    private async Task<Dictionary<string, (string StoreNode, bool? Spilled)>> OurRowsAsync(LocalCluster cluster, IReadOnlyList<ObjectRef<double[]>> refs)
    {
        var result = await cluster.RunAsync("memory", "--format", "json", "--limit", "1000");
        _output.WriteLine(result.ToString());
        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        var ids = refs.Select(r => r.Id.ToString()).ToHashSet(StringComparer.Ordinal);
        var all = json.RootElement.GetProperty("objects").EnumerateArray().ToList();
        Assert.Equal(all.Count(o => o.GetProperty("spilled").ValueKind == JsonValueKind.True), json.RootElement.GetProperty("spilled_objects").GetInt32());
        var ours = all
            .Where(o => ids.Contains(o.GetProperty("object_id").GetString()!))
            .ToDictionary(
                o => o.GetProperty("object_id").GetString()!,
                o => (o.GetProperty("store_node").GetString() ?? string.Empty, o.GetProperty("spilled").ValueKind switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False => (bool?)false,
                    _ => null,
                }),
                StringComparer.Ordinal);
        Assert.Equal(refs.Count, ours.Count);
        return ours;
    }
}
