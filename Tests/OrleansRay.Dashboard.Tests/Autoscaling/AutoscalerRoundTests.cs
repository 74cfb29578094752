using Microsoft.Extensions.Logging;
using OrleansRay.Grains;
using OrleansRay.Silo.Autoscaling;
using OrleansRay.Silo.Autoscaling.Providers;
using Xunit;
using static OrleansRay.Dashboard.Tests.Autoscaling.PlannerFixtures;

namespace OrleansRay.Dashboard.Tests.Autoscaling;

/// <summary>The autoscaler's round around the planner: it launches what the plan says, re-checks a node just before
/// removing it, remembers failures and does not relaunch a failing type before the back-off, logs only changes, and
/// reports Pending / Recent failures / infeasible demands.</summary>
public sealed class AutoscalerRoundTests
{
    private const string HeadId = "127.0.0.1:11111@1";

    private static readonly ClusterConfig Config = ClusterConfigLoader.Parse("""
        cluster_name: demo
        provider: {type: local}
        head_node_type: head
        max_workers: 2
        idle_timeout_minutes: 0.1
        available_node_types:
          head: {resources: {CPU: 1}}
          worker: {resources: {CPU: 2}, max_workers: 2}
          broken: {resources: {CPU: 1, accel: 1}, max_workers: 1}
        """, "/configs/cluster.yaml");

    private readonly ManualTime _time = new();
    private readonly FakeProvider _provider;
    private readonly FakeHead _head = new();
    private readonly ListLogger _log = new();
    private readonly Autoscaler _autoscaler;
    private bool _stopping;

    public AutoscalerRoundTests()
    {
        _provider = new FakeProvider(_time);
        _autoscaler = new Autoscaler(Config, _provider, _head, HeadId, _log, _time, () => _stopping);
        _head.Provider = _provider;
        _head.Rows.Add(Row(HeadId, Res(1), ResourceSet.Empty));
    }

    private static NodeStatus Row(string id, ResourceSet total, ResourceSet available, params ResourceDemandInfo[] demands) =>
        new(new NodeId(id), id.Split('@')[0], IsAlive: true, total, available, demands, Now);

    private static ResourceDemandInfo Demand(ResourceSet shape, int count) => new(shape, count, IsInfeasible: false, IsActor: false);

    [Fact]
    public async Task Pending_tasks_launch_nodes_once_and_the_launching_nodes_are_reported_pending_with_their_type()
    {
        _head.Rows[0] = Row(HeadId, Res(1), ResourceSet.Empty, Demand(Res(1), 5));

        var status = await _autoscaler.RunRoundAsync(default);

        Assert.Equal(2, _provider.Launched.Count(n => n.NodeType == "worker"));
        Assert.Equal(["worker", "worker"], status.Pending.Select(p => p.NodeType));
        Assert.Contains(status.RecentDecisions, d => d.Contains("launch 2 x 'worker'", StringComparison.Ordinal) && d.Contains("pending task(s)", StringComparison.Ordinal));
        Assert.Same(status, _head.Reported[^1]);

        // Next round: the same demand, the nodes still launching: nothing more.
        _time.Advance(TimeSpan.FromSeconds(2));
        await _autoscaler.RunRoundAsync(default);
        Assert.Equal(2, _provider.Launched.Count);
        Assert.Single(_log.Lines, l => l.Contains("launching", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_idle_worker_is_removed_after_the_timeout_but_kept_when_the_table_shows_work_again_just_before()
    {
        var worker = _provider.Add("w1", "worker", ProviderNodeState.Running, "127.0.0.1:20001");
        _head.Rows.Add(Row("127.0.0.1:20001@5", Res(2), Res(2)));
        await _autoscaler.RunRoundAsync(default);
        _time.Advance(TimeSpan.FromSeconds(7));

        // The plan removes it (idle 7 s > 6 s), but the re-read table shows an actor there now: kept.
        _head.FreshRows = [_head.Rows[0], Row("127.0.0.1:20001@5", Res(2), Res(2)) with { ActorCount = 1 }];
        await _autoscaler.RunRoundAsync(default);
        Assert.Empty(_provider.Terminated);
        Assert.Contains(_log.Lines, l => l.Contains("keeping node 127.0.0.1:20001@5", StringComparison.Ordinal) && l.Contains("1 actor(s)", StringComparison.Ordinal));

        _head.FreshRows = null;
        _time.Advance(TimeSpan.FromSeconds(2));
        var status = await _autoscaler.RunRoundAsync(default);
        Assert.Equal([worker.Id], _provider.Terminated);
        Assert.Contains(status.RecentDecisions, d => d.Contains("remove 127.0.0.1:20001@5", StringComparison.Ordinal) && d.Contains("idle for", StringComparison.Ordinal));
        Assert.Equal([("127.0.0.1:20001@5", false)], _head.Drains); // asked to drain once, before it was removed
    }

    [Fact]
    public async Task The_loop_asks_an_idle_node_to_drain_before_removing_it_and_keeps_it_when_the_node_refuses()
    {
        var worker = _provider.Add("w1", "worker", ProviderNodeState.Running, "127.0.0.1:20001");
        _head.Rows.Add(Row("127.0.0.1:20001@5", Res(2), Res(2)));
        await _autoscaler.RunRoundAsync(default);
        _time.Advance(TimeSpan.FromSeconds(7));

        // Its row looks idle, but the node itself saw work arrive (say a small Put by a task that just ended): it refuses.
        _head.DrainAnswer = "1 owned object(s)";
        var kept = await _autoscaler.RunRoundAsync(default);
        Assert.Empty(_provider.Terminated);
        Assert.Equal([("127.0.0.1:20001@5", false)], _head.Drains);
        Assert.Contains(kept.RecentDecisions, d => d.Contains("kept 127.0.0.1:20001@5", StringComparison.Ordinal) && d.Contains("1 owned object(s)", StringComparison.Ordinal));
        Assert.Contains(_log.Lines, l => l.Contains("keeping node 127.0.0.1:20001@5", StringComparison.Ordinal) && l.Contains("refused to drain", StringComparison.Ordinal));

        // Next round it drains: asked again, and removed only after it agreed.
        _head.DrainAnswer = null;
        _time.Advance(TimeSpan.FromSeconds(1));
        await _autoscaler.RunRoundAsync(default);
        Assert.Equal([worker.Id], _provider.Terminated);
        Assert.Equal([("127.0.0.1:20001@5", false), ("127.0.0.1:20001@5", false)], _head.Drains);
    }

    [Fact]
    public async Task A_node_whose_row_shows_work_is_not_even_asked_to_drain()
    {
        _provider.Add("w1", "worker", ProviderNodeState.Running, "127.0.0.1:20001");
        _head.Rows.Add(Row("127.0.0.1:20001@5", Res(2), Res(2)));
        await _autoscaler.RunRoundAsync(default);
        _time.Advance(TimeSpan.FromSeconds(7));
        _head.FreshRows = [_head.Rows[0], Row("127.0.0.1:20001@5", Res(2), Res(2)) with { WaitingTaskCount = 1 }];

        await _autoscaler.RunRoundAsync(default);

        Assert.Empty(_provider.Terminated);
        Assert.Empty(_head.Drains);
    }

    [Theory]
    [InlineData(1, 0, 0)]
    [InlineData(0, 0, 3)]
    [InlineData(0, 2, 0)]
    public void A_node_with_running_tasks_actors_or_primary_objects_is_busy(int tasks, int actors, int objects)
    {
        var row = Row("n@1", Res(2), Res(2)) with { RunningTaskCount = tasks, ActorCount = actors, PrimaryObjectCount = objects };

        Assert.NotNull(Autoscaler.BusyReason(row));
        Assert.Null(Autoscaler.BusyReason(Row("n@1", Res(2), Res(2))));
        Assert.NotNull(Autoscaler.BusyReason(Row("n@1", Res(2), Res(1))));
    }

    [Fact]
    public async Task A_failed_node_is_in_recent_failures_and_its_type_is_not_relaunched_before_the_backoff()
    {
        _head.Rows[0] = Row(HeadId, Res(1), ResourceSet.Empty, Demand(Res(1, ("accel", 1)), 1));
        await _autoscaler.RunRoundAsync(default);
        var first = Assert.Single(_provider.Launched);
        Assert.Equal("broken", first.NodeType);

        _provider.Fail(first.Id, "the node exited with code 2 before joining the cluster: error: unknown option '--bad'");
        for (var elapsed = TimeSpan.Zero; elapsed < Autoscaler.FailureBackoff - TimeSpan.FromSeconds(2); elapsed += TimeSpan.FromSeconds(2))
        {
            _time.Advance(TimeSpan.FromSeconds(2));
            var status = await _autoscaler.RunRoundAsync(default);
            var failure = Assert.Single(status.RecentFailures);
            Assert.Equal("broken", failure.NodeType);
            Assert.Contains("unknown option '--bad'", failure.FailureReason, StringComparison.Ordinal);
            Assert.Empty(status.Pending);
        }

        Assert.Single(_provider.Launched);
        Assert.Single(_log.Lines, l => l.Contains("failed", StringComparison.Ordinal));

        // After the back-off the failed node is given back and the type may be tried again, once.
        _time.Advance(TimeSpan.FromSeconds(4));
        await _autoscaler.RunRoundAsync(default);
        _time.Advance(TimeSpan.FromSeconds(2));
        var after = await _autoscaler.RunRoundAsync(default);
        Assert.Equal(2, _provider.Launched.Count);
        Assert.Contains(first.Id, _provider.Terminated);
        Assert.Single(after.RecentFailures);
    }

    [Fact]
    public async Task A_node_that_died_after_joining_is_replaced_in_the_next_round_without_the_backoff()
    {
        _head.Rows[0] = Row(HeadId, Res(1), ResourceSet.Empty, Demand(Res(1, ("accel", 1)), 1));
        await _autoscaler.RunRoundAsync(default);
        var first = Assert.Single(_provider.Launched);

        // It joined, then was killed (kill -9): the demand it served is back at the head.
        _provider.Fail(first.Id, "the node exited with code 137 (signal 9, SIGKILL) after joining the cluster: no error in its log", afterJoining: true);
        _time.Advance(TimeSpan.FromSeconds(2));
        var status = await _autoscaler.RunRoundAsync(default);

        Assert.Equal(2, _provider.Launched.Count);
        Assert.Equal("broken", _provider.Launched[1].NodeType);
        Assert.Contains(first.Id, _provider.Terminated);
        Assert.Contains("signal 9, SIGKILL", Assert.Single(status.RecentFailures).FailureReason, StringComparison.Ordinal);
        Assert.Single(_log.Lines, l => l.Contains("died after joining", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_infeasible_demand_launches_nothing_is_reported_and_logged_once()
    {
        _head.Rows[0] = Row(HeadId, Res(1), ResourceSet.Empty, Demand(Res(64), 1));

        var status = await _autoscaler.RunRoundAsync(default);
        _time.Advance(TimeSpan.FromSeconds(2));
        await _autoscaler.RunRoundAsync(default);

        Assert.Empty(_provider.Launched);
        var line = Assert.Single(status.Infeasible);
        Assert.Contains("{\"CPU\": 64.0}", line, StringComparison.Ordinal);
        Assert.Single(_log.Lines, l => l.Contains("infeasible", StringComparison.Ordinal));
    }

    [Fact]
    public async Task While_the_cluster_is_stopping_nothing_is_launched_or_removed()
    {
        _stopping = true;
        _head.Rows[0] = Row(HeadId, Res(1), ResourceSet.Empty, Demand(Res(1), 5));

        var status = await _autoscaler.RunRoundAsync(default);

        Assert.Empty(_provider.Launched);
        Assert.Empty(status.Pending);
    }

    private sealed class FakeHead : IHeadState
    {
        public List<NodeStatus> Rows { get; } = [];

        public List<NodeStatus>? FreshRows { get; set; }

        public List<AutoscalerStatus> Reported { get; } = [];

        public Task<HeadStateSnapshot> ReadAsync(CancellationToken cancellationToken) =>
            Task.FromResult(new HeadStateSnapshot([.. Rows], [], [], []));

        public Task<IReadOnlyList<NodeStatus>> ReadNodesAsync(CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<NodeStatus>>([.. FreshRows ?? Rows]);

        public Task ReportAsync(AutoscalerStatus status, CancellationToken cancellationToken)
        {
            Reported.Add(status);
            return Task.CompletedTask;
        }

        /// <summary>What a node answers when asked to drain (null: it drains).</summary>
        public string? DrainAnswer { get; set; }

        /// <summary>Each drain asked: the node, and whether the provider had already removed it then.</summary>
        public List<(string NodeId, bool AlreadyTerminated)> Drains { get; } = [];

        public FakeProvider? Provider { get; set; }

        public Task<string?> DrainAsync(NodeStatus row, CancellationToken cancellationToken)
        {
            Drains.Add((row.NodeId.Value!, Provider!.Terminated.Count > 0));
            return Task.FromResult(DrainAnswer);
        }
    }

    private sealed class FakeProvider(TimeProvider time) : INodeProvider
    {
        private readonly Dictionary<string, ProviderNode> _nodes = new(StringComparer.Ordinal);
        private int _next;

        public List<ProviderNode> Launched { get; } = [];

        public List<string> Terminated { get; } = [];

        public ProviderNode Add(string id, string type, ProviderNodeState state, string? address)
        {
            var node = new ProviderNode(id, type, state, address, null, time.GetUtcNow());
            _nodes[id] = node;
            return node;
        }

        public void Fail(string id, string reason, bool afterJoining = false) =>
            _nodes[id] = _nodes[id] with { State = ProviderNodeState.Failed, FailureReason = reason, Since = time.GetUtcNow(), FailedAfterJoining = afterJoining };

        public Task<IReadOnlyList<ProviderNode>> LaunchAsync(NodeTypeConfig nodeType, int count, CancellationToken cancellationToken)
        {
            var nodes = Enumerable.Range(0, count).Select(_ => Add($"p{++_next}", nodeType.Name, ProviderNodeState.Launching, null)).ToList();
            Launched.AddRange(nodes);
            return Task.FromResult<IReadOnlyList<ProviderNode>>(nodes);
        }

        public Task TerminateAsync(string id, CancellationToken cancellationToken)
        {
            Terminated.Add(id);
            _nodes.Remove(id);
            return Task.CompletedTask;
        }

        public Task<IReadOnlyList<ProviderNode>> ListAsync(CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<ProviderNode>>([.. _nodes.Values]);
    }

    private sealed class ManualTime : TimeProvider
    {
        private DateTimeOffset _now = Now;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }

    private sealed class ListLogger : ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add(formatter(state, exception));
    }
}
