using OrleansRay.Tests.Actors;
using OrleansRay.Tests.Fixtures;
using OrleansRay.Tests.Functions;
using Xunit;

namespace OrleansRay.Tests.RayState;

/// <summary>Issue 15, the state API (Ray's <c>ray list</c> / <c>get</c> / <c>summary</c> / <c>memory</c>): two nodes in this
/// process and a connected driver whose work runs on them.</summary>
public sealed class StateApiTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private InProcessCluster _cluster = null!;
    private IRay _ray = null!;

    public async Task InitializeAsync()
    {
        _cluster = await InProcessCluster.StartAsync((2, null), (2, null));
        _ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
    }

    public async Task DisposeAsync()
    {
        await _ray.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    public static int FailWith(int x) => throw new ArgumentOutOfRangeException(nameof(x), x, $"state api failure {x}");

    [Fact]
    public async Task Listings_and_nodes_print_their_contents_not_their_collection_types()
    {
        var nodes = await _ray.NodesAsync();
        var node = nodes[0].ToString();
        Assert.Contains("Resources = {CPU: 2, memory: ", node, StringComparison.Ordinal);
        Assert.DoesNotContain("System.Collections", node, StringComparison.Ordinal);

        var listed = await _ray.State.ListNodesAsync();
        Assert.StartsWith($"StateList {{ Rows = {listed.Rows.Count} NodeStateRow(s), Total = {listed.Total}", listed.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failed_tasks_are_listed_as_FAILED_with_their_error_type_and_message()
    {
        var failing = Enumerable.Range(0, 3).Select(i => _ray.Task(FailWith, i).Options(new TaskOptions { MaxRetries = 0 }).Remote()).ToList();
        var fine = Enumerable.Range(0, 5).Select(i => _ray.Task(TestFunctions.Square, i).Remote()).ToList();
        foreach (var f in failing)
        {
            await Assert.ThrowsAsync<RayTaskException>(async () => await f);
        }

        Assert.Equal(new[] { 0, 1, 4, 9, 16 }, await _ray.GetAsync(fine));

        var failed = await _ray.State.ListTasksAsync(StateListOptions.Where("state=FAILED"));
        Assert.Empty(failed.Warnings);
        Assert.Equal(3, failed.Rows.Count);
        Assert.Equal(3, failed.Total);
        Assert.All(failed.Rows, t =>
        {
            Assert.Equal("FAILED", t.State);
            Assert.Contains("FailWith", t.Name, StringComparison.Ordinal);
            Assert.Equal(typeof(ArgumentOutOfRangeException).FullName, t.ErrorType);
            Assert.Contains("state api failure", t.ErrorMessage, StringComparison.Ordinal);
            Assert.Contains(t.Node, _cluster.Nodes.Select(n => n.NodeId.Value));
            Assert.NotNull(t.EndedAt);
        });
        Assert.Equal(3, failed.Rows.Select(t => t.TaskId).Distinct().Count());

        // Each task is listed once although its owner (the driver) and the node that ran it both recorded it.
        var squares = await _ray.State.ListTasksAsync(new StateListOptions { Filters = [new StateFilter("state", StatePredicate.NotEqual, "FAILED"), new StateFilter("name", StatePredicate.Equal, "TestFunctions.Square")] });
        Assert.Equal(5, squares.Rows.Count);
        Assert.All(squares.Rows, t => Assert.Equal("FINISHED", t.State));

        var limited = await _ray.State.ListTasksAsync(new StateListOptions { Limit = 2 });
        Assert.Equal(2, limited.Rows.Count);
        Assert.True(limited.Truncated);
        Assert.Equal(8, limited.Total);

        var summary = await _ray.State.SummarizeTasksAsync();
        Assert.Contains(summary.Rows, r => r.Key == "TestFunctions.Square" && r.State == "FINISHED" && r.Count == 5);
        Assert.Contains(summary.Rows, r => r.Key.Contains("FailWith", StringComparison.Ordinal) && r.State == "FAILED" && r.Count == 3);
    }

    [Fact]
    public async Task Running_and_pending_tasks_are_listed_while_they_wait()
    {
        var gate = "state-running-" + Guid.NewGuid().ToString("N");
        var running = _ray.Task(TestFunctions.WaitForGate, gate).Remote();
        var infeasible = _ray.Task(TestFunctions.Answer).Options(new TaskOptions { Resources = { ["accel"] = 1 } }).Remote();
        try
        {
            StateList<TaskStateRow>? live = null;
            await Eventually.TrueAsync(async () =>
            {
                live = await _ray.State.ListTasksAsync(StateListOptions.Where("state!=FINISHED", "state!=FAILED"));
                return live.Rows.Any(t => t.Name.Contains("WaitForGate", StringComparison.Ordinal) && t.State == "RUNNING")
                    && live.Rows.Any(t => t.Name.Contains("Answer", StringComparison.Ordinal) && t.State == "PENDING_NODE_ASSIGNMENT");
            }, Deadline, "the gated task is listed RUNNING and the infeasible one pending");
            var row = live!.Rows.Single(t => t.Name.Contains("WaitForGate", StringComparison.Ordinal));
            Assert.Contains(row.Node, _cluster.Nodes.Select(n => n.NodeId.Value));
            Assert.NotNull(row.StartedAt);
            Assert.Null(row.EndedAt);
            Assert.Equal(0, row.Attempt);
            Assert.Equal(1, live.Rows.Count(t => t.Name.Contains("WaitForGate", StringComparison.Ordinal)));
        }
        finally
        {
            Gates.Get(gate).Set();
            await _ray.CancelAsync(infeasible, force: true);
        }

        Assert.Equal(1, await running);
        await Eventually.TrueAsync(async () =>
            (await _ray.State.ListTasksAsync(StateListOptions.Where("state=RUNNING"))).Rows.All(t => !t.Name.Contains("WaitForGate", StringComparison.Ordinal)),
            Deadline, "the task is no longer listed running once it finished");
    }

    [Fact]
    public async Task Actors_are_listed_with_their_state_and_got_by_id_and_summarized()
    {
        var counter = _ray.Actor(() => new Counter(1)).Options(new ActorOptions { Name = "state-counter-" + Guid.NewGuid().ToString("N")[..6] }).Remote();
        Assert.Equal(2, await counter.Task(c => c.Increment()).Remote());

        var alive = await _ray.State.ListActorsAsync(StateListOptions.Where("class_name=" + typeof(Counter).FullName, "state=ALIVE"));
        var row = Assert.Single(alive.Rows, a => a.ActorId == counter.ActorId.ToString());
        Assert.Contains(row.Node, _cluster.Nodes.Select(n => n.NodeId.Value));
        Assert.StartsWith("state-counter-", row.Name, StringComparison.Ordinal);
        Assert.Equal(1, row.CallsRun);

        var got = await _ray.State.GetActorAsync(counter.ActorId.ToString());
        Assert.NotNull(got);
        Assert.Equal("ALIVE", got.State);
        Assert.Null(await _ray.State.GetActorAsync(ActorId.NewId().ToString()));

        await _ray.KillAsync(counter);
        await Eventually.TrueAsync(async () => (await _ray.State.GetActorAsync(counter.ActorId.ToString()))?.State == "DEAD", Deadline, "a killed actor is listed DEAD");

        var summary = await _ray.State.SummarizeActorsAsync();
        Assert.Contains(summary.Rows, r => r.Key == typeof(Counter).FullName && r.State == "DEAD" && r.Count >= 1);
    }

    [Fact]
    public async Task Objects_and_memory_show_owner_size_reference_type_and_where_stored()
    {
        var small = await _ray.PutAsync(42);
        var remote = _ray.Task(TestFunctions.Zeros, 32 * 1024).Remote(); // 256 KiB result owned by the driver, stored on a node
        Assert.Equal(32 * 1024, (await remote).Length);

        var objects = await _ray.State.ListObjectsAsync(new StateListOptions { Limit = 1000 });
        var smallRow = Assert.Single(objects.Rows, o => o.ObjectId == small.Id.ToString());
        Assert.Equal("INLINE", smallRow.Location);
        Assert.Equal("PUT", smallRow.Origin);
        Assert.Equal("LOCAL_REFERENCE", smallRow.ReferenceType);
        Assert.Equal("FINISHED", smallRow.Status);
        var resultRow = Assert.Single(objects.Rows, o => o.ObjectId == remote.Id.ToString());
        Assert.Equal("TASK", resultRow.Origin);
        Assert.Equal("STORE", resultRow.Location);
        Assert.Contains(resultRow.StoreNode, _cluster.Nodes.Select(n => n.NodeId.Value));
        Assert.True(resultRow.SizeBytes >= 256 * 1024, $"size {resultRow.SizeBytes}");
        Assert.Equal(smallRow.Owner, resultRow.Owner); // the driver owns both
        Assert.DoesNotContain(_cluster.Nodes, n => n.NodeId.Value == smallRow.Owner);

        var stored = await _ray.State.ListObjectsAsync(StateListOptions.Where("location=STORE"));
        Assert.All(stored.Rows, o => Assert.Equal("STORE", o.Location));
        Assert.DoesNotContain(stored.Rows, o => o.ObjectId == small.Id.ToString());

        var memory = await _ray.State.MemoryAsync();
        Assert.Contains(memory.Objects, o => o.ObjectId == remote.Id.ToString());
        Assert.Equal(_cluster.Nodes.Count, memory.Stores.Count);
        Assert.True(memory.Stores.Sum(s => s.UsedBytes) >= 256 * 1024, "the stores hold the stored objects' bytes");

        var summary = await _ray.State.SummarizeObjectsAsync();
        Assert.Contains(summary.Rows, r => r.Key == "LOCAL_REFERENCE" && r.State == "FINISHED" && r.Count >= 2 && r.Bytes >= 256 * 1024);
        GC.KeepAlive(small);
    }

    [Fact]
    public async Task Memory_says_which_stored_objects_their_holder_store_has_spilled()
    {
        // 10 results of 8 MiB made on one node (its store is 64 MiB), owned by the driver: the oldest spill there.
        const int Count = 10;
        var there = new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(_cluster.Nodes[0].NodeId) };
        var inline = await _ray.PutAsync(7);
        var refs = Enumerable.Range(0, Count).Select(_ => _ray.Task(TestFunctions.Zeros, 1 << 20).Options(there).Remote()).ToList();
        var (ready, _) = await _ray.WaitAsync(refs, numReturns: Count, timeout: Deadline);
        Assert.Equal(Count, ready.Count);

        var memory = await _ray.State.MemoryAsync(new StateListOptions { Limit = 1000 });
        var ours = refs.Select(r => Assert.Single(memory.Objects, o => o.ObjectId == r.Id.ToString())).ToList();
        Assert.All(ours, o => Assert.Equal(_cluster.Nodes[0].NodeId.Value, o.StoreNode));
        Assert.All(ours, o => Assert.NotNull(o.Spilled));
        Assert.Contains(ours, o => o.Spilled == true);
        Assert.False(ours[^1].Spilled, "the newest result is in memory");
        Assert.Null(Assert.Single(memory.Objects, o => o.ObjectId == inline.Id.ToString()).Spilled);
        Assert.Equal(memory.Objects.Count(o => o.Spilled == true), memory.SpilledObjects);
        Assert.True(memory.SpilledObjects >= ours.Count(o => o.Spilled == true));
        Assert.True(memory.Stores.Single(s => s.Node == _cluster.Nodes[0].NodeId.Value).SpilledBytes >= 8L << 20);

        // The spilled filter is applied after the holder stores answered.
        var spilled = await _ray.State.ListObjectsAsync(StateListOptions.Where("spilled=true") with { Limit = 1000 });
        Assert.All(spilled.Rows, o => Assert.True(o.Spilled));
        Assert.Equal(spilled.Rows.Count, spilled.Total);
        Assert.Equal(ours.Where(o => o.Spilled == true).Select(o => o.ObjectId).Order(), spilled.Rows.Select(o => o.ObjectId).Where(id => ours.Any(o => o.ObjectId == id)).Order());

        // A summary cannot filter by spilled (owners cannot tell): refused, naming the way that works.
        var state = new OrleansRay.Node.ClusterState(_cluster.Nodes[0].Runtime.GrainFactory, _cluster.Nodes[0].Runtime);
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => state.SummarizeAsync(StateResource.Objects, [StateFilter.Parse("spilled=true")], CancellationToken.None));
        Assert.Contains("list objects --filter spilled=true", refused.Message, StringComparison.Ordinal);
        GC.KeepAlive(inline);
        GC.KeepAlive(refs);
    }

    [Fact]
    public async Task Nodes_jobs_and_placement_groups_are_listed()
    {
        var nodes = await _ray.State.ListNodesAsync(StateListOptions.Where("state=ALIVE"));
        Assert.Equal(_cluster.Nodes.Select(n => n.NodeId.Value).Order(), nodes.Rows.Select(n => n.NodeId).Order());
        Assert.All(nodes.Rows, n => Assert.Equal(2, n.Resources["CPU"]));

        var jobs = await _ray.State.ListJobsAsync(StateListOptions.Where("status=RUNNING"));
        Assert.NotEmpty(jobs.Rows);

        var group = await _ray.CreatePlacementGroupAsync([new Bundle { ["CPU"] = 1 }, new Bundle { ["CPU"] = 1 }], PlacementStrategy.Spread, "state-pg");
        await group.ReadyAsync();
        try
        {
            await Eventually.TrueAsync(async () => (await _ray.State.ListPlacementGroupsAsync(StateListOptions.Where("name=state-pg"))).Rows.Count == 1,
                Deadline, "the created group is listed once the nodes report its bundles");
            var row = (await _ray.State.ListPlacementGroupsAsync(StateListOptions.Where("name=state-pg"))).Rows.Single();
            Assert.Equal("CREATED", row.State);
            Assert.Equal("SPREAD", row.Strategy);
            Assert.Equal(2, row.Bundles.Count);
            Assert.Equal(2, row.BundleNodes.Distinct().Count());
        }
        finally
        {
            await _ray.RemovePlacementGroupAsync(group);
        }
    }

    [Fact]
    public async Task A_placement_group_row_shows_its_creator_job_and_whether_it_is_detached_and_both_filter()
    {
        var jobId = ((RayDriver)_ray).JobId;
        Assert.False(string.IsNullOrEmpty(jobId));
        var attached = await _ray.CreatePlacementGroupAsync([new Bundle { ["CPU"] = 1 }], PlacementStrategy.Pack, "state-pg-job");
        var detached = await _ray.CreatePlacementGroupAsync([new Bundle { ["CPU"] = 1 }], PlacementStrategy.Pack, "state-pg-detached", detached: true);
        try
        {
            await attached.ReadyAsync().WaitAsync(Deadline);
            await detached.ReadyAsync().WaitAsync(Deadline);
            await Eventually.TrueAsync(async () => (await _ray.State.ListPlacementGroupsAsync(StateListOptions.Where($"creator_job_id={jobId}"))).Rows.Count == 2,
                Deadline, "both groups listed with the driver's job (as list jobs shows it)");

            // The job as `list jobs` shows it, and the lifetime: Ray's creator_job_id and is_detached.
            var rows = (await _ray.State.ListPlacementGroupsAsync(StateListOptions.Where($"creator_job_id={jobId}"))).Rows;
            Assert.All(rows, r => Assert.Equal(jobId, r.CreatorJobId));
            Assert.Contains((await _ray.State.ListJobsAsync()).Rows, j => j.JobId == jobId);
            Assert.False(Assert.Single(rows, r => r.Name == "state-pg-job").IsDetached);
            Assert.True(Assert.Single(rows, r => r.Name == "state-pg-detached").IsDetached);

            // Filters: by lifetime, and by a job that created none.
            var kept = await _ray.State.ListPlacementGroupsAsync(StateListOptions.Where("is_detached=true"));
            Assert.Equal(["state-pg-detached"], kept.Rows.Select(r => r.Name));
            var ending = await _ray.State.ListPlacementGroupsAsync(StateListOptions.Where("is_detached=false", $"creator_job_id={jobId}"));
            Assert.Equal(["state-pg-job"], ending.Rows.Select(r => r.Name));
            Assert.Empty((await _ray.State.ListPlacementGroupsAsync(StateListOptions.Where("creator_job_id=job-00000000"))).Rows);
            Assert.Equal(2, (await _ray.State.ListPlacementGroupsAsync(StateListOptions.Where("creator_job_id!=job-00000000"))).Rows.Count);
            var bad = await Assert.ThrowsAsync<ArgumentException>(() => _ray.State.ListPlacementGroupsAsync(StateListOptions.Where("is_detached=maybe")));
            Assert.Contains("true, false", bad.Message, StringComparison.Ordinal);
        }
        finally
        {
            await _ray.RemovePlacementGroupAsync(attached);
            await _ray.RemovePlacementGroupAsync(detached);
        }
    }

    [Fact]
    public async Task A_nodes_address_is_its_gateway_not_its_id_and_node_ip_is_its_host()
    {
        var nodes = await _ray.State.ListNodesAsync();

        Assert.Equal(_cluster.Nodes.Count, nodes.Rows.Count);
        foreach (var node in _cluster.Nodes)
        {
            var row = Assert.Single(nodes.Rows, r => r.NodeId == node.NodeId.Value);
            // The gateway a driver dials ("127.0.0.1:<gateway port>"), not the silo address "127.0.0.1:<silo port>@<generation>".
            Assert.Equal(node.GatewayAddress, row.Address);
            Assert.NotEqual(row.NodeId, row.Address);
            Assert.DoesNotContain("@", row.Address, StringComparison.Ordinal);
            Assert.Equal(row.NodeId, Assert.Single((await _ray.State.ListNodesAsync(StateListOptions.Where($"address={node.GatewayAddress}"))).Rows).NodeId);
        }

        // Ray's node_ip is the bare address: every node here runs on 127.0.0.1; a port makes it match none.
        Assert.Equal(_cluster.Nodes.Count, (await _ray.State.ListNodesAsync(StateListOptions.Where("node_ip=127.0.0.1"))).Rows.Count);
        Assert.Empty((await _ray.State.ListNodesAsync(StateListOptions.Where($"node_ip={_cluster.Nodes[0].GatewayAddress}"))).Rows);
        Assert.Equal("10.0.0.5", OrleansRay.Node.StateColumns.HostOf("10.0.0.5:30000"));
        Assert.Equal("::1", OrleansRay.Node.StateColumns.HostOf("[::1]:30000"));
        Assert.Equal("fe80::1", OrleansRay.Node.StateColumns.HostOf("fe80::1"));
        Assert.Equal("10.0.0.5", OrleansRay.Node.StateColumns.HostOf("10.0.0.5"));

        // A row without a gateway (an older node's) shows the host of its node id.
        var withoutGateway = new NodeStatus(new NodeId("10.0.0.5:11111@123456"), "10.0.0.5:11111@123456", IsAlive: true, ResourceSet.Empty, ResourceSet.Empty, [], DateTimeOffset.UtcNow);
        Assert.Equal("10.0.0.5", OrleansRay.Node.ClusterState.AddressOf(withoutGateway));
        Assert.Equal("10.0.0.5:30000", OrleansRay.Node.ClusterState.AddressOf(withoutGateway with { Gateway = "10.0.0.5:30000" }));
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> Runs = new();

    public static int FailFirstRun(string key) =>
        Runs.AddOrUpdate(key, 1, static (_, n) => n + 1) == 1 ? throw new InvalidOperationException("first run fails") : 7;

    [Fact]
    public async Task Finished_tasks_carry_the_attempt_that_finished_them_and_filters_take_the_json_field_names()
    {
        var key = Guid.NewGuid().ToString("N");
        var retried = _ray.Task(FailFirstRun, key).Options(new TaskOptions { MaxRetries = 1, RetryExceptions = true }).Remote();
        Assert.Equal(7, await retried);
        Assert.Equal(2, Runs[key]);
        Assert.Equal(9, await _ray.Task(TestFunctions.Square, 3).Remote());

        // The retried task finished on its second attempt (attempt_number 1), the square on its first (0).
        var second = await _ray.State.ListTasksAsync(StateListOptions.Where("attempt_number=1"));
        var row = Assert.Single(second.Rows);
        Assert.Contains("FailFirstRun", row.Name, StringComparison.Ordinal);
        Assert.Equal("FINISHED", row.State);
        Assert.Equal(1, row.Attempt);
        var first = await _ray.State.ListTasksAsync(StateListOptions.Where("attempt_number=0"));
        Assert.Contains(first.Rows, t => t.Name == "TestFunctions.Square" && t.State == "FINISHED");
        Assert.DoesNotContain(first.Rows, t => t.Name.Contains("FailFirstRun", StringComparison.Ordinal));

        // A row's JSON field name filters the same column as Ray's name for it.
        var alias = await _ray.State.ListTasksAsync(StateListOptions.Where("attempt=1"));
        Assert.Equal(row.TaskId, Assert.Single(alias.Rows).TaskId);
        var byNode = await _ray.State.ListTasksAsync(StateListOptions.Where($"node={row.Node}"));
        var byNodeId = await _ray.State.ListTasksAsync(StateListOptions.Where($"node_id={row.Node}"));
        Assert.NotEmpty(byNode.Rows);
        Assert.Equal(byNodeId.Rows.Select(t => t.TaskId).Order(), byNode.Rows.Select(t => t.TaskId).Order());
        var objects = await _ray.State.ListObjectsAsync(StateListOptions.Where("status=FINISHED"));
        var objectsByRayName = await _ray.State.ListObjectsAsync(StateListOptions.Where("task_status=FINISHED"));
        Assert.Equal(objectsByRayName.Total, objects.Total);

        // The aliases are accepted, not advertised: the refusal of a bad key lists Ray's names only.
        var bad = await Assert.ThrowsAsync<ArgumentException>(() => _ray.State.ListTasksAsync(StateListOptions.Where("colour=red")));
        Assert.Contains("attempt_number", bad.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("attempt,", bad.Message, StringComparison.Ordinal);

        // A number column takes numbers only.
        var notNumber = await Assert.ThrowsAsync<ArgumentException>(() => _ray.State.ListTasksAsync(StateListOptions.Where("attempt_number=abc")));
        Assert.Contains("whole number", notNumber.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_local_function_is_listed_by_its_own_name()
    {
        static int Doubled(int x) => 2 * x;

        Assert.Equal(8, await _ray.Task(Doubled, 4).Remote());

        var rows = await _ray.State.ListTasksAsync(StateListOptions.Where("name=StateApiTests.Doubled"));
        Assert.Equal("StateApiTests.Doubled", Assert.Single(rows.Rows).Name); // not the compiler's <...>g__Doubled|12_0
    }

    [Fact]
    public async Task Bad_filters_and_limits_are_refused_naming_the_valid_choices()
    {
        var key = await Assert.ThrowsAsync<ArgumentException>(() => _ray.State.ListTasksAsync(StateListOptions.Where("colour=red")));
        Assert.Contains("'colour'", key.Message, StringComparison.Ordinal);
        Assert.Contains("state", key.Message, StringComparison.Ordinal);
        var value = await Assert.ThrowsAsync<ArgumentException>(() => _ray.State.ListTasksAsync(StateListOptions.Where("state=BROKEN")));
        Assert.Contains("FAILED", value.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => StateListOptions.Where("state"));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _ray.State.ListActorsAsync(new StateListOptions { Limit = 0 }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _ray.State.ListNodesAsync(new StateListOptions { Limit = 10_001 }));
    }
}
