using OrleansRay.Grains;
using OrleansRay.Silo.Autoscaling;
using OrleansRay.Silo.Autoscaling.Providers;
using Xunit;
using static OrleansRay.Dashboard.Tests.Autoscaling.PlannerFixtures;

namespace OrleansRay.Dashboard.Tests.Autoscaling;

/// <summary>From what the head has (node table rows, drivers' demands, the provider's nodes) to the planner's input.</summary>
public sealed class HeadStateAdapterTests
{
    private static readonly ClusterConfig Config = ClusterConfigLoader.Parse("""
        cluster_name: demo
        provider: {type: local}
        head_node_type: head
        idle_timeout_minutes: 0.1
        available_node_types:
          head: {resources: {CPU: 1}}
          worker: {resources: {CPU: 2}, max_workers: 2}
        """, "/configs/cluster.yaml");

    private static NodeStatus Row(string id, ResourceSet total, ResourceSet available, params ResourceDemandInfo[] demands) =>
        new(new NodeId(id), id.Split('@')[0], IsAlive: true, total, available, demands, Now);

    private static PlannerInput Adapt(IReadOnlyList<NodeStatus> rows, IReadOnlyList<ProviderNode> provider, IdleTracker idle, DateTimeOffset now, params ResourceDemandInfo[] driverDemands) =>
        HeadStateAdapter.ToPlannerInput(Config, rows, driverDemands, provider, [], [], "127.0.0.1:11111@1", idle, TimeSpan.FromSeconds(30), now);

    [Fact]
    public void The_head_and_provider_nodes_are_recognised_and_demands_of_nodes_and_drivers_are_summed_by_shape()
    {
        var rows = new[]
        {
            Row("127.0.0.1:11111@1", Res(1), ResourceSet.Empty, new ResourceDemandInfo(Res(1), 4, IsInfeasible: false, IsActor: false)),
            Row("127.0.0.1:20001@7", Res(2), Res(2)),
        };
        var provider = new[]
        {
            new ProviderNode("pid-1", "worker", ProviderNodeState.Running, "127.0.0.1:20001", null, Now),
            new ProviderNode("pid-2", "worker", ProviderNodeState.Running, "127.0.0.1:20002", null, Now),
        };

        var input = Adapt(rows, provider, new IdleTracker(), Now, new ResourceDemandInfo(Res(1), 2, IsInfeasible: false, IsActor: false));

        Assert.Equal([("127.0.0.1:11111@1", null, true), ("127.0.0.1:20001@7", "worker", false)], input.Nodes.Select(n => (n.NodeId, n.NodeType, n.IsHead)));
        Assert.Equal("pid-2", Assert.Single(input.Launching).ProviderId); // running, not joined yet
        Assert.Equal(6, Assert.Single(input.Demands).Count);
        Assert.Equal(TimeSpan.FromSeconds(6), input.Limits.IdleTimeout);
    }

    [Fact]
    public void A_node_stays_idle_since_it_was_first_seen_idle_and_a_busy_round_resets_it()
    {
        var idle = new IdleTracker();
        var provider = new[] { new ProviderNode("pid-1", "worker", ProviderNodeState.Running, "127.0.0.1:20001", null, Now) };
        var idleRow = Row("127.0.0.1:20001@7", Res(2), Res(2));
        var busyRow = Row("127.0.0.1:20001@7", Res(2), Res(1));

        var first = Adapt([idleRow], provider, idle, Now);
        var second = Adapt([idleRow], provider, idle, Now.AddSeconds(10));
        var busy = Adapt([busyRow], provider, idle, Now.AddSeconds(11));
        var again = Adapt([idleRow], provider, idle, Now.AddSeconds(12));

        Assert.Equal(Now, first.Nodes[0].IdleSince);
        Assert.Equal(Now, second.Nodes[0].IdleSince);
        Assert.Equal((null, true), (busy.Nodes[0].IdleSince, busy.Nodes[0].HasRunningWork));
        Assert.Equal(Now.AddSeconds(12), again.Nodes[0].IdleSince);
        Assert.Equal("127.0.0.1:20001@7", Assert.Single(AutoscalerPlanner.Plan(second).Terminations).NodeId);
    }

    [Fact]
    public void A_failed_node_holds_its_launch_slot_for_the_back_off_so_it_is_not_relaunched_in_a_tight_loop()
    {
        var failed = new[] { new ProviderNode("pid-1", "worker", ProviderNodeState.Failed, null, "exit code 2: unknown option --bad", Now) };
        var demand = new ResourceDemandInfo(Res(2), 1, IsInfeasible: false, IsActor: false);
        var head = Row("127.0.0.1:11111@1", Res(1), ResourceSet.Empty, demand);

        var during = AutoscalerPlanner.Plan(Adapt([head], failed, new IdleTracker(), Now.AddSeconds(10)));
        var after = AutoscalerPlanner.Plan(Adapt([head], failed, new IdleTracker(), Now.AddSeconds(31)));

        Assert.Empty(during.Launches);
        Assert.Equal(1, after.LaunchCount("worker"));
    }

    [Theory]
    [InlineData(1, 0, 0, 0, 0, "an actor")]
    [InlineData(0, 1, 0, 0, 0, "a primary object")]
    [InlineData(0, 0, 1, 0, 0, "a running 0-CPU task")]
    [InlineData(0, 0, 0, 1, 0, "an owned object (an inline value in the node's memory, or a child's result)")]
    [InlineData(0, 0, 0, 0, 1, "a task waiting for its arguments")]
    public void A_node_with_all_resources_free_but_an_actor_a_primary_object_a_running_task_an_owned_object_or_a_waiting_task_is_not_idle_and_is_never_removed(int actors, int primaries, int running, int owned, int waiting, string what)
    {
        var provider = new[] { new ProviderNode("pid-1", "worker", ProviderNodeState.Running, "127.0.0.1:20001", null, Now) };
        var row = Row("127.0.0.1:20001@7", Res(2), Res(2)) with { ActorCount = actors, PrimaryObjectCount = primaries, RunningTaskCount = running, OwnedObjectCount = owned, WaitingTaskCount = waiting };
        var idle = new IdleTracker();

        var first = Adapt([row], provider, idle, Now);
        var later = Adapt([row], provider, idle, Now.AddMinutes(10)); // far past the 6 s idle timeout

        Assert.False(HeadStateAdapter.IsIdle(row), what);
        var node = Assert.Single(later.Nodes);
        Assert.Null(first.Nodes[0].IdleSince);
        Assert.Null(node.IdleSince);
        Assert.Equal((actors > 0, primaries > 0 || owned > 0, running > 0 || waiting > 0), (node.HasActors, node.HasPrimaryObjects, node.HasRunningWork));
        Assert.Empty(AutoscalerPlanner.Plan(later).Terminations);
        Assert.NotNull(Autoscaler.BusyReason(row));
    }

    [Fact]
    public void A_node_idle_at_every_round_but_reporting_recent_work_is_not_removed_its_own_idle_time_decides()
    {
        var provider = new[] { new ProviderNode("pid-1", "worker", ProviderNodeState.Running, "127.0.0.1:20001", null, Now) };
        var idleRow = Row("127.0.0.1:20001@7", Res(2), Res(2));
        var idle = new IdleTracker();

        // Idle at both samples, 10 minutes apart; but the node says it finished a short task 200 ms ago (a stream of
        // sub-second tasks between rounds): its idle clock, not the samples, says how long it has been idle.
        Adapt([idleRow with { IdleMilliseconds = 0 }], provider, idle, Now);
        var streaming = Adapt([idleRow with { IdleMilliseconds = 200 }], provider, idle, Now.AddMinutes(10));
        Assert.Equal(Now.AddMinutes(10).AddMilliseconds(-200), streaming.Nodes[0].IdleSince);
        Assert.Empty(AutoscalerPlanner.Plan(streaming).Terminations);

        // A node that says it has been idle for 7 s goes (timeout 6 s), even at the first round that sees it.
        var quiet = Adapt([idleRow with { IdleMilliseconds = 7_000 }], provider, new IdleTracker(), Now);
        Assert.Equal(["127.0.0.1:20001@7"], AutoscalerPlanner.Plan(quiet).Terminations.Select(t => t.NodeId));
    }

    [Fact]
    public void The_planner_keeps_a_node_that_reports_a_0_CPU_actor_even_when_it_was_idle_before()
    {
        var provider = new[] { new ProviderNode("pid-1", "worker", ProviderNodeState.Running, "127.0.0.1:20001", null, Now) };
        var idleRow = Row("127.0.0.1:20001@7", Res(2), Res(2));
        var idle = new IdleTracker();
        Adapt([idleRow], provider, idle, Now);

        var withActor = Adapt([idleRow with { ActorCount = 1 }], provider, idle, Now.AddMinutes(10));
        var emptyAgain = Adapt([idleRow], provider, idle, Now.AddMinutes(10).AddSeconds(1));

        Assert.True(HeadStateAdapter.IsIdle(idleRow));
        Assert.Empty(AutoscalerPlanner.Plan(withActor).Terminations);
        Assert.Equal(Now.AddMinutes(10).AddSeconds(1), emptyAgain.Nodes[0].IdleSince); // the idle clock restarts
        Assert.Empty(AutoscalerPlanner.Plan(emptyAgain).Terminations);
        // ...and the node goes only once it has been idle for the whole timeout again, counted from then.
        var idleLongEnough = Adapt([idleRow], provider, idle, Now.AddMinutes(11));
        Assert.Equal(["127.0.0.1:20001@7"], AutoscalerPlanner.Plan(idleLongEnough).Terminations.Select(t => t.NodeId));
    }
}
