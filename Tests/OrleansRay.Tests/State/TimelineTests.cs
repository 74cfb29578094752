using System.Text.Json;
using OrleansRay.Tests.Fixtures;
using OrleansRay.Tests.Functions;
using Xunit;

namespace OrleansRay.Tests.RayState;

/// <summary>Ray's <c>ray.timeline()</c> (<see cref="IRayState.TimelineAsync"/>, <see cref="ChromeTrace"/>): two nodes in
/// this process and a connected driver whose tasks run on them.</summary>
public sealed class TimelineTests : IAsyncLifetime
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

    public static int FailWith(int x) => throw new ArgumentOutOfRangeException(nameof(x), x, $"timeline failure {x}");

    [Fact]
    public async Task The_timeline_has_each_finished_task_once_on_its_node_with_overlapping_ones_on_different_lanes()
    {
        var node = _cluster.Nodes[0].NodeId;
        var pinned = new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(node) };
        var together = "timeline-together-" + Guid.NewGuid().ToString("N");
        var later = "timeline-later-" + Guid.NewGuid().ToString("N");
        var overlapping = Enumerable.Range(0, 2).Select(_ => _ray.Task(TestFunctions.WaitForGate, together).Options(pinned).Remote()).ToList();
        var stillRunning = _ray.Task(TestFunctions.WaitForGate, later).Options(new TaskOptions { NumCpus = 0 }).Remote();
        try
        {
            // Both gated tasks run on the one node at the same time before either may finish.
            await Eventually.TrueAsync(async () =>
                (await _ray.State.ListTasksAsync(StateListOptions.Where("state=RUNNING"))).Rows.Count(t => t.Name.Contains("WaitForGate", StringComparison.Ordinal)) == 3,
                Deadline, "the three gated tasks run");
            Gates.Get(together).Set();
            Assert.Equal(new[] { 1, 1 }, await _ray.GetAsync(overlapping));
            await Assert.ThrowsAsync<RayTaskException>(async () => await _ray.Task(FailWith, 7).Options(new TaskOptions { MaxRetries = 0 }).Remote());
            Assert.Equal(new[] { 0, 1, 4 }, await _ray.GetAsync(Enumerable.Range(0, 3).Select(i => _ray.Task(TestFunctions.Square, i).Remote())));

            var timeline = await _ray.State.TimelineAsync();
            Assert.Empty(timeline.Warnings);
            Assert.Equal(6, timeline.Rows.Count); // two gated, one failed, three squares; not the task still running
            Assert.Equal(6, timeline.Total);
            Assert.False(timeline.Truncated);
            var finished = await _ray.State.ListTasksAsync(new StateListOptions { Filters = [new StateFilter("state", StatePredicate.NotEqual, "RUNNING")], Limit = 100 });
            Assert.Equal(finished.Rows.Select(t => t.TaskId).Order(), timeline.Rows.Select(e => e.TaskId).Order());
            Assert.Equal(timeline.Rows.OrderBy(e => e.StartedAt).Select(e => e.TaskId), timeline.Rows.Select(e => e.TaskId));
            Assert.All(timeline.Rows, e =>
            {
                Assert.Contains(e.Node, _cluster.Nodes.Select(n => n.NodeId.Value));
                Assert.True(e.Duration >= TimeSpan.Zero);
                Assert.Equal(0, e.Attempt);
                Assert.NotEqual(string.Empty, e.JobId);
            });

            var gated = timeline.Rows.Where(e => e.Name.Contains("WaitForGate", StringComparison.Ordinal)).ToList();
            Assert.Equal(2, gated.Count);
            Assert.All(gated, e => Assert.Equal(node.Value, e.Node));
            Assert.Equal(new[] { 0, 1 }, gated.Select(e => e.Lane).Order());
            Assert.True(gated[1].StartedAt < gated[0].EndedAt, "the two gated tasks overlapped in time");

            var failed = Assert.Single(timeline.Rows, e => e.Error is not null);
            Assert.Contains("FailWith", failed.Name, StringComparison.Ordinal);
            Assert.StartsWith(typeof(ArgumentOutOfRangeException).FullName!, failed.Error, StringComparison.Ordinal);
            Assert.Contains("timeline failure 7", failed.Error, StringComparison.Ordinal);

            // On each node, the tasks of one lane never overlap.
            foreach (var lane in timeline.Rows.GroupBy(e => (e.Node, e.Lane)))
            {
                var ordered = lane.OrderBy(e => e.StartedAt).ToList();
                for (var i = 1; i < ordered.Count; i++)
                {
                    Assert.True(ordered[i].StartedAt >= ordered[i - 1].EndedAt, $"lane {lane.Key.Lane} of node {lane.Key.Node}: {ordered[i].TaskId} starts before {ordered[i - 1].TaskId} ends");
                }
            }

            var squares = await _ray.State.TimelineAsync(StateListOptions.Where("name=TestFunctions.Square"));
            Assert.Equal(3, squares.Rows.Count);
            var newest = await _ray.State.TimelineAsync(new StateListOptions { Limit = 2 });
            Assert.Equal(2, newest.Rows.Count);
            Assert.Equal(6, newest.Total);
            Assert.True(newest.Truncated);
            Assert.Equal(timeline.Rows.OrderByDescending(e => e.EndedAt).Take(2).Select(e => e.TaskId).Order(), newest.Rows.Select(e => e.TaskId).Order());
        }
        finally
        {
            Gates.Get(together).Set();
            Gates.Get(later).Set();
        }

        Assert.Equal(1, await stillRunning);
    }

    [Fact]
    public async Task The_chrome_trace_is_a_json_array_with_a_process_per_node_a_thread_per_lane_and_a_complete_event_per_task()
    {
        Assert.Equal(new[] { 1, 4, 9 }, await _ray.GetAsync(new[] { 1, 2, 3 }.Select(i => _ray.Task(TestFunctions.Square, i).Remote())));
        await Assert.ThrowsAsync<RayTaskException>(async () => await _ray.Task(FailWith, 3).Options(new TaskOptions { MaxRetries = 0 }).Remote());
        var timeline = await _ray.State.TimelineAsync();
        Assert.Equal(4, timeline.Rows.Count);

        using var buffer = new MemoryStream();
        await ChromeTrace.WriteAsync(timeline.Rows, buffer);
        using var trace = JsonDocument.Parse(buffer.ToArray());
        Assert.Equal(JsonValueKind.Array, trace.RootElement.ValueKind);
        var events = trace.RootElement.EnumerateArray().ToList();
        var complete = events.Where(e => e.GetProperty("ph").GetString() == "X").ToList();
        Assert.Equal(4, complete.Count);
        var processes = events.Where(e => e.GetProperty("ph").GetString() == "M" && e.GetProperty("name").GetString() == "process_name")
            .ToDictionary(e => e.GetProperty("pid").GetInt32(), e => e.GetProperty("args").GetProperty("name").GetString());
        Assert.Equal(timeline.Rows.Select(e => "node " + e.Node).Distinct().Order(), processes.Values.Order());
        foreach (var (row, json) in timeline.Rows.Zip(complete))
        {
            Assert.Equal(row.Name, json.GetProperty("name").GetString());
            Assert.Equal("node " + row.Node, processes[json.GetProperty("pid").GetInt32()]);
            Assert.Equal(row.Lane, json.GetProperty("tid").GetInt32());
            Assert.Equal((row.StartedAt - DateTimeOffset.UnixEpoch).TotalMicroseconds, json.GetProperty("ts").GetDouble(), 0.5);
            Assert.Equal(row.Duration.TotalMicroseconds, json.GetProperty("dur").GetDouble(), 0.5);
            Assert.Equal(row.TaskId, json.GetProperty("args").GetProperty("task_id").GetString());
            Assert.Equal(row.JobId, json.GetProperty("args").GetProperty("job_id").GetString());
            Assert.Equal(row.Error is not null, json.TryGetProperty("cname", out _));
            Assert.Equal(row.Error, json.GetProperty("args").TryGetProperty("error", out var error) ? error.GetString() : null);
        }

        Assert.All(events.Where(e => e.GetProperty("ph").GetString() == "M" && e.GetProperty("name").GetString() == "thread_name"),
            e => Assert.Equal("lane " + e.GetProperty("tid").GetInt32(), e.GetProperty("args").GetProperty("name").GetString()));
    }

    [Fact]
    public async Task Bad_filters_and_limits_are_refused_as_a_task_listing_refuses_them()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _ray.State.TimelineAsync(new StateListOptions { Limit = 0 }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _ray.State.TimelineAsync(new StateListOptions { Limit = 10_001 }));
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => _ray.State.TimelineAsync(StateListOptions.Where("colour=red")));
        Assert.Contains("colour", ex.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentNullException>(() => ChromeTrace.WriteAsync(null!, new MemoryStream()));
        await Assert.ThrowsAsync<ArgumentNullException>(() => ChromeTrace.WriteAsync([], null!));
    }
}

/// <summary>The lanes of <see cref="TimelineBuilder"/>, from made-up rows.</summary>
public sealed class TimelineLaneTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 5, 0, 0, TimeSpan.Zero);

    private static TaskStateRow Row(string id, string node, double startMs, double? endMs) =>
        new(id, "f", endMs is null ? "RUNNING" : "FINISHED", node, 0, string.Empty, T0.AddMilliseconds(startMs), endMs is null ? null : T0.AddMilliseconds(endMs.Value), endMs - startMs, null, null);

    [Fact]
    public void Overlapping_tasks_take_the_lowest_free_lane_of_their_node_and_a_lane_is_reused_once_free()
    {
        var events = TimelineBuilder.FromTasks(
        [
            Row("a", "n1", 0, 100),
            Row("b", "n1", 10, 50),
            Row("c", "n1", 20, 30),
            Row("d", "n1", 50, 60),   // b's lane is free at 50
            Row("e", "n1", 200, 210), // all free: lane 0
            Row("f", "n2", 5, 500),   // another node has its own lanes
            Row("g", "n2", 400, null), // still running: not on the timeline
        ]);

        Assert.Equal(new[] { "a", "f", "b", "c", "d", "e" }, events.Select(e => e.TaskId));
        var lanes = events.ToDictionary(e => e.TaskId, e => e.Lane);
        Assert.Equal(0, lanes["a"]);
        Assert.Equal(1, lanes["b"]);
        Assert.Equal(2, lanes["c"]);
        Assert.Equal(1, lanes["d"]);
        Assert.Equal(0, lanes["e"]);
        Assert.Equal(0, lanes["f"]);
        Assert.Equal(TimeSpan.FromMilliseconds(40), events.Single(e => e.TaskId == "b").Duration);
    }
}
