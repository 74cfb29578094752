using OrleansRay.Silo.Autoscaling;
using Xunit;
using static OrleansRay.Dashboard.Tests.Autoscaling.PlannerFixtures;

namespace OrleansRay.Dashboard.Tests.Autoscaling;

/// <summary>The autoscaler's planner on the scenarios: what it launches and removes, and why.</summary>
public sealed class AutoscalerPlannerTests
{
    private static readonly WorkerNodeType TwoCpuWorker = Type("worker", Res(2), min: 0, max: 2);

    [Fact]
    public void Six_pending_1_CPU_tasks_with_a_1_CPU_head_launch_two_2_CPU_workers_and_the_rest_waits_for_max_workers()
    {
        var plan = AutoscalerPlanner.Plan(Input([TwoCpuWorker], nodes: [Head(freeCpu: 0)], demands: [Tasks(6, Res(1))]));

        var launch = Assert.Single(plan.Launches);
        Assert.Equal("worker", launch.NodeType);
        Assert.Equal(2, launch.Count);
        Assert.Contains("4 pending task(s) {\"CPU\": 1.0}", launch.Reason, StringComparison.Ordinal);
        Assert.Empty(plan.Infeasible);
        var waiting = Assert.Single(plan.Waiting);
        Assert.StartsWith("2 pending task(s)", waiting.Demand, StringComparison.Ordinal);
        Assert.Contains("max_workers (2)", waiting.Reason, StringComparison.Ordinal);
        Assert.Empty(plan.Terminations);
    }

    [Fact]
    public void Free_capacity_is_used_before_launching_a_node()
    {
        var idleWorker = Worker("w1", "worker", Res(2), idleSince: Now);

        var plan = AutoscalerPlanner.Plan(Input([TwoCpuWorker], nodes: [Head(freeCpu: 1), idleWorker], demands: [Tasks(3, Res(1))]));

        Assert.Empty(plan.Launches);
        Assert.Empty(plan.Waiting);
    }

    [Fact]
    public void After_the_idle_timeout_with_nothing_running_both_workers_are_removed_with_their_reason()
    {
        var idleSince = Now - TimeSpan.FromSeconds(6);
        var nodes = new[] { Head(freeCpu: 1), Worker("w1", "worker", Res(2), idleSince), Worker("w2", "worker", Res(2), idleSince.AddSeconds(1)) };

        var plan = AutoscalerPlanner.Plan(Input([TwoCpuWorker], nodes: nodes, idleTimeout: TimeSpan.FromSeconds(5)));

        Assert.Equal(["w1", "w2"], plan.Terminations.Select(t => t.NodeId));
        Assert.All(plan.Terminations, t => Assert.Contains("idle for", t.Reason, StringComparison.Ordinal));
        Assert.Empty(plan.Launches);
    }

    [Fact]
    public void Idle_workers_are_kept_before_the_timeout_and_never_below_min_workers()
    {
        var type = Type("worker", Res(2), min: 1, max: 2);
        var longIdle = Now - TimeSpan.FromMinutes(10);
        var nodes = new[] { Head(freeCpu: 1), Worker("w1", "worker", Res(2), longIdle), Worker("w2", "worker", Res(2), longIdle.AddSeconds(1)) };

        var early = AutoscalerPlanner.Plan(Input([type], nodes: nodes, idleTimeout: TimeSpan.FromMinutes(20)));
        var late = AutoscalerPlanner.Plan(Input([type], nodes: nodes, idleTimeout: TimeSpan.FromMinutes(5)));

        Assert.Empty(early.Terminations);
        var removed = Assert.Single(late.Terminations);
        Assert.Equal("w1", removed.NodeId); // the longest idle goes; w2 stays for min_workers 1
        Assert.Contains("min_workers 1", removed.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_node_with_running_work_actors_or_primary_objects_is_not_removed_and_neither_is_the_head()
    {
        var longIdle = Now - TimeSpan.FromMinutes(10);
        var nodes = new[]
        {
            Head(freeCpu: 1) with { IdleSince = longIdle, HasRunningWork = false },
            Worker("busy", "worker", Res(2), idleSince: null),
            Worker("actors", "worker", Res(2), longIdle, actors: true),
            Worker("objects", "worker", Res(2), longIdle, objects: true),
            Worker("by-hand", null!, Res(2), longIdle),
        };

        var plan = AutoscalerPlanner.Plan(Input([Type("worker", Res(2), max: 5)], nodes: nodes));

        Assert.Empty(plan.Terminations);
    }

    [Fact]
    public void An_idle_node_that_pending_work_fits_on_is_not_removed()
    {
        var worker = Worker("w1", "worker", Res(2), Now - TimeSpan.FromMinutes(10));

        var plan = AutoscalerPlanner.Plan(Input([TwoCpuWorker], nodes: [Head(), worker], demands: [Tasks(1, Res(1))]));

        Assert.Empty(plan.Terminations);
        Assert.Empty(plan.Launches);
    }

    [Fact]
    public void A_task_needing_accel_launches_exactly_one_node_of_the_type_that_has_accel()
    {
        var types = new[] { Type("cpu", Res(4), max: 5), Type("accel", Res(1, ("accel", 1)), max: 5) };

        var plan = AutoscalerPlanner.Plan(Input(types, demands: [Tasks(1, Only("accel", 1))]));

        var launch = Assert.Single(plan.Launches);
        Assert.Equal(("accel", 1), (launch.NodeType, launch.Count));
    }

    [Fact]
    public void A_CPU_task_does_not_open_a_node_with_a_special_resource_it_does_not_ask_for()
    {
        var types = new[] { Type("accel", Res(2, ("accel", 1)), max: 5), Type("cpu", Res(2), max: 5) };

        var plan = AutoscalerPlanner.Plan(Input(types, demands: [Tasks(1, Res(1))]));

        Assert.Equal("cpu", Assert.Single(plan.Launches).NodeType);
    }

    [Fact]
    public void An_infeasible_demand_launches_nothing_and_is_reported_as_infeasible()
    {
        var plan = AutoscalerPlanner.Plan(Input([TwoCpuWorker], demands: [Tasks(3, Res(0, ("GPU", 1)))]));

        Assert.Empty(plan.Launches);
        var infeasible = Assert.Single(plan.Infeasible);
        Assert.Contains("3 pending task(s) {\"GPU\": 1.0}", infeasible.Demand, StringComparison.Ordinal);
        Assert.Contains("no node type", infeasible.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_demand_only_a_busy_live_node_can_hold_waits_without_a_launch_and_is_not_infeasible()
    {
        var plan = AutoscalerPlanner.Plan(Input([TwoCpuWorker], nodes: [Head(freeCpu: 0) with { Total = Res(4) }], demands: [Tasks(1, Res(3))]));

        Assert.Empty(plan.Launches);
        Assert.Empty(plan.Infeasible);
        Assert.Contains("busy", Assert.Single(plan.Waiting).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Placement_groups_are_bin_packed_by_strategy()
    {
        var type = Type("worker", Res(2), max: 10);
        var bundles = new[] { Res(1), Res(1) };
        PendingPlacementGroup Group(PlacementStrategy strategy, params ResourceSet[] b) => new(strategy.ToString(), strategy, b);

        var pack = AutoscalerPlanner.Plan(Input([type], groups: [Group(PlacementStrategy.Pack, bundles)]));
        var strictSpread = AutoscalerPlanner.Plan(Input([type], groups: [Group(PlacementStrategy.StrictSpread, bundles)]));
        var strictPackTooBig = AutoscalerPlanner.Plan(Input([type], groups: [Group(PlacementStrategy.StrictPack, Res(1), Res(1), Res(1))]));
        var packTooBig = AutoscalerPlanner.Plan(Input([type], groups: [Group(PlacementStrategy.Pack, Res(1), Res(1), Res(1))]));

        Assert.Equal(1, pack.LaunchCount("worker"));           // both bundles on one 2-CPU node
        Assert.Equal(2, strictSpread.LaunchCount("worker"));   // each bundle on its own node
        Assert.Empty(strictPackTooBig.Launches);               // 3 CPU on one node: no type has that
        Assert.Contains("STRICT_PACK", Assert.Single(strictPackTooBig.Infeasible).Reason, StringComparison.Ordinal);
        Assert.Equal(2, packTooBig.LaunchCount("worker"));     // PACK falls back to as few nodes as hold it
        // One group, not a count of them (a count of its placements, "for 2 placement group ...", read as two groups).
        Assert.Equal("for placement group 'Pack' (PACK, 2 bundle(s)), which the free capacity cannot hold", pack.Launches[0].Reason);
        Assert.Equal("for placement group 'StrictSpread' (STRICT_SPREAD, 2 bundle(s)), which the free capacity cannot hold", strictSpread.Launches[0].Reason);
    }

    [Fact]
    public void Pack_bundles_that_only_a_busy_node_could_hold_together_still_launch_nodes_for_the_bundles()
    {
        var bigBusyHead = Head(freeCpu: 0) with { Total = Res(4) };

        var plan = AutoscalerPlanner.Plan(Input([Type("worker", Res(2), max: 10)], nodes: [bigBusyHead], groups: [new("g", PlacementStrategy.Pack, [Res(1), Res(1), Res(1)])]));

        Assert.Equal(2, plan.LaunchCount("worker"));
        Assert.Empty(plan.Waiting);
    }

    [Fact]
    public void Spread_shares_a_node_with_room_while_strict_spread_launches_a_node_per_bundle()
    {
        var type = Type("worker", Res(2), max: 10);
        var worker = Worker("w1", "worker", Res(2), idleSince: Now);
        var bundles = new[] { Res(1), Res(1) };

        var spread = AutoscalerPlanner.Plan(Input([type], nodes: [Head(), worker], groups: [new("g", PlacementStrategy.Spread, bundles)]));
        var strict = AutoscalerPlanner.Plan(Input([type], nodes: [Head(), worker], groups: [new("g", PlacementStrategy.StrictSpread, bundles)]));

        Assert.Empty(spread.Launches);
        Assert.Equal(1, strict.LaunchCount("worker"));
    }

    [Fact]
    public void The_global_max_workers_caps_launches_over_all_types()
    {
        var types = new[] { Type("a", Res(1, ("a", 1)), max: 5), Type("b", Res(1, ("b", 1)), max: 5) };

        var plan = AutoscalerPlanner.Plan(Input(types, demands: [Tasks(4, Only("a", 1)), Tasks(4, Only("b", 1))], maxWorkers: 3));

        Assert.Equal(3, plan.Launches.Sum(l => l.Count));
        Assert.Contains(plan.Waiting, w => w.Reason.Contains("cluster is at its max_workers (3", StringComparison.Ordinal));
    }

    [Fact]
    public void Upscaling_speed_limits_how_many_nodes_launch_at_once()
    {
        var type = Type("worker", Res(1), max: 100);
        var demands = new[] { Tasks(50, Res(1)) };
        var running = Enumerable.Range(1, 10).Select(i => Worker($"w{i:00}", "worker", Res(1), idleSince: null)).ToList();
        var launching = Enumerable.Range(1, 3).Select(i => new LaunchingNode($"l{i}", "worker")).ToList();

        var fromNothing = AutoscalerPlanner.Plan(Input([type], demands: demands, maxWorkers: 100));
        var withTenRunning = AutoscalerPlanner.Plan(Input([type], nodes: [Head(), .. running], demands: demands, launching: launching, maxWorkers: 100, upscalingSpeed: 1.0));
        var doubleSpeed = AutoscalerPlanner.Plan(Input([type], nodes: [Head(), .. running], demands: demands, maxWorkers: 100, upscalingSpeed: 2.0));

        Assert.Equal(AutoscalerPlanner.InitialUpscaleNodes, fromNothing.LaunchCount("worker"));
        Assert.Equal(10 - 3, withTenRunning.LaunchCount("worker"));
        Assert.Equal(20, doubleSpeed.LaunchCount("worker"));
        Assert.Contains("upscaling_speed", Assert.Single(fromNothing.Waiting).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Nodes_already_launching_are_counted_so_nothing_is_launched_twice()
    {
        var type = Type("worker", Res(2), max: 4);
        var demands = new[] { Tasks(4, Res(1)) };

        var before = AutoscalerPlanner.Plan(Input([type], demands: demands));
        var whileLaunching = AutoscalerPlanner.Plan(Input([type], demands: demands, launching: [new("p1", "worker"), new("p2", "worker")]));

        Assert.Equal(2, before.LaunchCount("worker"));
        Assert.Empty(whileLaunching.Launches);
        Assert.Empty(whileLaunching.Waiting);
    }

    [Fact]
    public void Min_workers_are_launched_with_nothing_pending()
    {
        var plan = AutoscalerPlanner.Plan(Input([Type("worker", Res(2), min: 1, max: 2)]));

        var launch = Assert.Single(plan.Launches);
        Assert.Equal(1, launch.Count);
        Assert.Contains("min_workers = 1", launch.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Requested_resources_hold_capacity_ahead_of_work_and_keep_idle_nodes_they_need()
    {
        var type = Type("worker", Res(2), max: 5);
        var longIdle = Now - TimeSpan.FromMinutes(10);
        var requested = new[] { Res(2), Res(2), Res(2) };

        var plan = AutoscalerPlanner.Plan(Input([type], nodes: [Head(), Worker("w1", "worker", Res(2), longIdle)], requested: requested));

        Assert.Equal(2, plan.LaunchCount("worker"));
        Assert.Contains("request_resources", plan.Launches[0].Reason, StringComparison.Ordinal);
        Assert.Empty(plan.Terminations);
    }

    [Fact]
    public void A_requested_bundle_no_node_type_can_hold_is_reported_infeasible()
    {
        var plan = AutoscalerPlanner.Plan(Input([TwoCpuWorker], requested: [Res(8)]));

        Assert.Empty(plan.Launches);
        Assert.Contains("request_resources", Assert.Single(plan.Infeasible).Demand, StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_input_gives_the_same_plan()
    {
        var types = new[] { Type("cpu", Res(2), max: 3), Type("accel", Res(1, ("accel", 1)), max: 3) };
        var input = Input(types, demands: [Tasks(5, Res(1)), Tasks(2, Only("accel", 1)), Tasks(1, Res(0, ("GPU", 1)))], maxWorkers: 4);

        var first = AutoscalerPlanner.Plan(input);
        var second = AutoscalerPlanner.Plan(input);

        Assert.Equal(first.Launches, second.Launches);
        Assert.Equal(first.Waiting, second.Waiting);
        Assert.Equal(first.Infeasible, second.Infeasible);
    }
}
