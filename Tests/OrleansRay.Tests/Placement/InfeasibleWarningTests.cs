using OrleansRay.Grains;
using OrleansRay.Internal;
using OrleansRay.Tests.Actors;
using OrleansRay.Tests.Fixtures;
using OrleansRay.Tests.Functions;
using Xunit;

namespace OrleansRay.Tests.Placement;

/// <summary>A task or actor that asks for more than any live node has waits, infeasible; as Ray's driver does, the driver
/// says so in one warning per shape (not per task, and not again until the shape became feasible and then infeasible
/// again), naming the shape, the most one node has, and what to do. A placement group the live nodes could never hold
/// is warned about likewise at creation, once per bundles and strategy, and so is a pending one when a node it needed
/// leaves. Each test starts its own driver (and cluster) and
/// disposes it.</summary>
public sealed class InfeasibleWarningTests
{
    private const string CannotBeScheduled = "cannot be scheduled right now";
    private const string CannotBePlaced = "cannot be placed right now";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task An_embedded_driver_warns_once_per_infeasible_shape_and_never_for_feasible_work()
    {
        var log = new RecordingLoggerProvider();
        await using var ray = await Ray.InitAsync(new RayOptions { NumCpus = 2, LogTo = log });
        var runtime = IRayRuntimeAccess.Of(ray);

        // Feasible work runs and says nothing.
        Assert.Equal(9, await ray.GetAsync(ray.Task(TestFunctions.Square, 3).Options(new TaskOptions { NumCpus = 2 }).Remote(), Deadline));

        // Three tasks of one infeasible shape and one of another: one warning per shape.
        var big = new TaskOptions { NumCpus = 64 };
        var accel = new TaskOptions { NumCpus = 0, Resources = { ["accel"] = 1 } };
        var waiting = Enumerable.Range(0, 3).Select(i => ray.Task(TestFunctions.Square, i).Options(big).Remote()).ToList();
        waiting.Add(ray.Task(TestFunctions.Square, 5).Options(accel).Remote());
        await Eventually.TrueAsync(() => log.Warnings(CannotBeScheduled).Count == 2, Deadline, "a warning for each infeasible shape");

        // More of the same shapes, and a feasible task, over several more refreshes of the view: no more warnings.
        waiting.Add(ray.Task(TestFunctions.Square, 6).Options(big).Remote());
        waiting.Add(ray.Task(TestFunctions.Square, 7).Options(accel).Remote());
        Assert.Equal(16, await ray.GetAsync(ray.Task(TestFunctions.Square, 4).Remote(), Deadline));
        await RefreshesAsync(runtime, 3);
        var warnings = log.Warnings(CannotBeScheduled);
        Assert.Equal(2, warnings.Count);
        var cpu = Assert.Single(warnings, w => w.Message.Contains("{\"CPU\": 64.0}", StringComparison.Ordinal));
        Assert.StartsWith("Tasks that ask for {\"CPU\": 64.0} cannot be scheduled right now", cpu.Message, StringComparison.Ordinal);
        Assert.Contains("the most one node has is {\"CPU\": 2.0}", cpu.Message, StringComparison.Ordinal);
        Assert.Contains("Start a node with those resources", cpu.Message, StringComparison.Ordinal);
        Assert.Contains("lower the tasks' request", cpu.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', cpu.Message);
        var custom = Assert.Single(warnings, w => w.Message.Contains("{\"accel\": 1.0}", StringComparison.Ordinal));
        Assert.Contains("the most one node has is {\"accel\": 0.0}", custom.Message, StringComparison.Ordinal);

        // The tasks still wait: the warning changes nothing about them.
        Assert.Empty((await ray.WaitAsync(waiting, numReturns: 1, TimeSpan.Zero)).Ready);

        // An actor of an infeasible shape: one warning for two of them, naming its class.
        var huge = new ActorOptions { NumCpus = 64 };
        _ = ray.Actor(() => new Counter(0)).Options(huge).Remote();
        _ = ray.Actor(() => new Counter(1)).Options(huge).Remote();
        await Eventually.TrueAsync(() => log.Warnings(CannotBeScheduled).Count == 3, Deadline, "a warning for the infeasible actors");
        await RefreshesAsync(runtime, 2);
        var actor = Assert.Single(log.Warnings(CannotBeScheduled), w => w.Message.StartsWith("Actor ", StringComparison.Ordinal));
        Assert.Contains("Counter", actor.Message, StringComparison.Ordinal);
        Assert.Contains("asks for {\"CPU\": 64.0} and cannot be scheduled right now", actor.Message, StringComparison.Ordinal);
        Assert.Contains("lower the actor's request", actor.Message, StringComparison.Ordinal);
        Assert.Equal(3, log.Warnings(CannotBeScheduled).Count);
    }

    [Fact]
    public async Task A_connected_driver_warns_again_only_after_the_shape_became_feasible_and_then_infeasible_again()
    {
        await using var cluster = await InProcessCluster.StartAsync((1, null));
        var log = new RecordingLoggerProvider();
        await using var driver = await Ray.InitAsync(new RayOptions { Address = cluster.Address, AuthToken = cluster.AuthToken, LogTo = log });
        var runtime = IRayRuntimeAccess.Of(driver);
        var accel = new TaskOptions { NumCpus = 0, Resources = { ["accel"] = 1 } };
        string AccelWarning(RecordingLoggerProvider.Entry w) => w.Message.Contains("{\"accel\": 1.0}", StringComparison.Ordinal) ? w.Message : string.Empty;

        // Two tasks no node can run: one warning. A task the node can run: none.
        var first = driver.Task(TestFunctions.Square, 3).Options(accel).Remote();
        var second = driver.Task(TestFunctions.Square, 4).Options(accel).Remote();
        Assert.Equal(4, await driver.GetAsync(driver.Task(TestFunctions.Square, 2).Remote(), Deadline));
        await Eventually.TrueAsync(() => log.Warnings(CannotBeScheduled).Count == 1, Deadline, "a warning for the accel tasks");
        await RefreshesAsync(runtime, 2);
        Assert.Single(log.Warnings(CannotBeScheduled), w => AccelWarning(w).StartsWith("Tasks that ask for", StringComparison.Ordinal));

        // An actor of that shape is warned about on its own (once).
        var actorOptions = new ActorOptions { NumCpus = 0, Resources = { ["accel"] = 1 } };
        _ = driver.Actor(() => new Counter(0)).Options(actorOptions).Remote();
        await Eventually.TrueAsync(() => log.Warnings(CannotBeScheduled).Count == 2, Deadline, "a warning for the accel actor");
        Assert.Single(log.Warnings(CannotBeScheduled), w => AccelWarning(w).StartsWith("Actor ", StringComparison.Ordinal));

        // A node with accel joins: the tasks run there (beside the actor, which moves there and holds one accel for
        // life, as in Ray). It leaves: a new task of the shape is infeasible again, and is warned about once more.
        var node = await cluster.AddNodeAsync(1, new Dictionary<string, double> { ["accel"] = 2 });
        Assert.Equal(new[] { 9, 16 }, await driver.GetAsync(new[] { first, second }, Deadline));
        await cluster.StopNodeAsync(node);
        await Eventually.TrueAsync(() => runtime.Cluster.Nodes.All(n => n.Total["accel"] == 0), Deadline, "the driver's view lost the accel node");
        var third = driver.Task(TestFunctions.Square, 5).Options(accel).Remote();
        await Eventually.TrueAsync(() => log.Warnings(CannotBeScheduled).Count(w => AccelWarning(w).StartsWith("Tasks", StringComparison.Ordinal)) == 2, Deadline,
            "a second warning for the accel tasks");
        await RefreshesAsync(runtime, 2);
        Assert.Equal(2, log.Warnings(CannotBeScheduled).Count(w => AccelWarning(w).StartsWith("Tasks", StringComparison.Ordinal)));
        Assert.Empty((await driver.WaitAsync(new[] { third }, numReturns: 1, TimeSpan.Zero)).Ready);
    }

    [Fact]
    public async Task A_placement_group_the_live_nodes_could_never_hold_is_warned_about_once_per_bundles_and_strategy()
    {
        var log = new RecordingLoggerProvider();
        await using var ray = await Ray.InitAsync(new RayOptions { NumCpus = 2, LogTo = log });
        var runtime = IRayRuntimeAccess.Of(ray);
        Bundle[] Cpus(params double[] amounts) => amounts.Select(a => new Bundle { ["CPU"] = a }).ToArray();

        // Groups the node could hold say nothing: two one-CPU bundles packed, and a two-CPU bundle.
        var packed = await ray.CreatePlacementGroupAsync(Cpus(1, 1), PlacementStrategy.Pack, name: "packed");
        Assert.True(await packed.WaitAsync(Deadline), "the feasible group was placed");
        await ray.RemovePlacementGroupAsync(packed);
        var whole = await ray.CreatePlacementGroupAsync(Cpus(2));
        Assert.True(await whole.WaitAsync(Deadline), "the two-CPU group was placed");
        await ray.RemovePlacementGroupAsync(whole);

        // A bundle larger than every node: warned about at creation, naming the group, bundles, strategy, the most one
        // node has, the live nodes and what to do.
        var big = await ray.CreatePlacementGroupAsync(Cpus(8), PlacementStrategy.Pack, name: "big");
        await Eventually.TrueAsync(() => log.Warnings(CannotBePlaced).Count == 1, Deadline, "a warning for the group no node can hold");
        var line = Assert.Single(log.Warnings(CannotBePlaced)).Message;
        Assert.Equal(
            $"Placement group {big.Id:N} 'big' of bundles [{{\"CPU\": 8.0}}] (Pack) cannot be placed right now: bundle 0, {{\"CPU\": 8.0}}, fits on " +
            "none of the 1 live node(s) (the most one node has is {\"CPU\": 2.0}), so it stays pending until nodes that can join. Add a node that " +
            "can hold it (orleansray start --num-cpus, --num-gpus, --memory, --resources) or change the group's bundles or strategy",
            line);

        // The same bundles and strategy again, unnamed: no second warning. StrictSpread with more bundles than live
        // nodes (bundles one node holds packed) is its own warning, naming the unnamed group by its id alone, in 32 hex
        // digits as PlacementGroup.ToString() and the state API print it.
        var again = await ray.CreatePlacementGroupAsync(Cpus(8), PlacementStrategy.Pack);
        var spread = await ray.CreatePlacementGroupAsync(Cpus(1, 1), PlacementStrategy.StrictSpread);
        await Eventually.TrueAsync(() => log.Warnings(CannotBePlaced).Count == 2, Deadline, "a warning for the StrictSpread group");
        await RefreshesAsync(runtime, 3);
        var warnings = log.Warnings(CannotBePlaced);
        Assert.Equal(2, warnings.Count);
        Assert.StartsWith($"Placement group {spread.Id:N} of bundles [{{\"CPU\": 1.0}}, {{\"CPU\": 1.0}}] (StrictSpread) cannot be placed right now", warnings[1].Message, StringComparison.Ordinal);
        Assert.Contains("StrictSpread puts each bundle on a node of its own, and the 1 live node(s) cannot give each of its 2 bundles one that holds it", warnings[1].Message, StringComparison.Ordinal);
        Assert.DoesNotContain(warnings, w => w.Message.Contains(again.Id.ToString("N"), StringComparison.Ordinal));
        Assert.All(warnings, w => Assert.DoesNotContain('\n', w.Message));

        // The warning changes nothing about the groups: they wait.
        Assert.Equal(PlacementGroupState.Pending, await big.GetStateAsync());
        Assert.Equal(PlacementGroupState.Pending, await spread.GetStateAsync());
    }

    [Fact]
    public void The_reason_a_group_cannot_be_placed_follows_its_strategy_and_notes_a_resource_name_in_another_case()
    {
        static ResourceSet Cpus(double n, string name = "CPU") => ResourceSet.From([KeyValuePair.Create(name, n)]);
        static PlacementGroupSpec Group(PlacementGroupStrategy strategy, params ResourceSet[] bundles) => new() { Strategy = strategy, Bundles = bundles };
        var nodes = new List<ResourceSet> { Cpus(1), Cpus(2) };

        // A reviewer's run: PACK may spread over nodes, so the total is the reason, not the most one node has.
        Assert.Equal("its bundles need {\"CPU\": 4.0} in total, and the 2 live node(s) have {\"CPU\": 3.0} together",
            global::OrleansRay.Placement.InfeasibleWarnings.WhyNotPlaced(Group(PlacementGroupStrategy.Pack, Cpus(1), Cpus(1), Cpus(1), Cpus(1)), nodes));
        Assert.StartsWith("its bundles need {\"CPU\": 4.0} in total",
            global::OrleansRay.Placement.InfeasibleWarnings.WhyNotPlaced(Group(PlacementGroupStrategy.Spread, Cpus(2), Cpus(2)), nodes), StringComparison.Ordinal);
        Assert.Equal("StrictPack puts every bundle on one node: together they need {\"CPU\": 3.0}, and the most one of the 2 live node(s) has is {\"CPU\": 2.0}",
            global::OrleansRay.Placement.InfeasibleWarnings.WhyNotPlaced(Group(PlacementGroupStrategy.StrictPack, Cpus(1), Cpus(2)), nodes));
        Assert.Equal("StrictSpread puts each bundle on a node of its own, and the 2 live node(s) cannot give each of its 3 bundles one that holds it",
            global::OrleansRay.Placement.InfeasibleWarnings.WhyNotPlaced(Group(PlacementGroupStrategy.StrictSpread, Cpus(1), Cpus(1), Cpus(1)), nodes));
        Assert.Equal("bundle 1, {\"cpu\": 1.0}, fits on none of the 2 live node(s) (the most one node has is {\"cpu\": 0.0}; resource names are case-sensitive: the nodes have \"CPU\", not \"cpu\")",
            global::OrleansRay.Placement.InfeasibleWarnings.WhyNotPlaced(Group(PlacementGroupStrategy.Pack, Cpus(1), Cpus(1, "cpu")), nodes));
    }

    [Fact]
    public async Task A_placement_group_shape_is_warned_about_again_only_after_nodes_that_could_hold_it_were_seen()
    {
        await using var cluster = await InProcessCluster.StartAsync((1, null));
        var log = new RecordingLoggerProvider();
        await using var driver = await Ray.InitAsync(new RayOptions { Address = cluster.Address, AuthToken = cluster.AuthToken, LogTo = log });
        var runtime = IRayRuntimeAccess.Of(driver);
        var bundles = new[] { new Bundle { ["CPU"] = 1 }, new Bundle { ["CPU"] = 1 } };

        // Two bundles strictly spread over one live node: warned about once.
        var first = await driver.CreatePlacementGroupAsync(bundles, PlacementStrategy.StrictSpread, name: "first");
        await Eventually.TrueAsync(() => log.Warnings(CannotBePlaced).Count == 1, Deadline, "a warning for the StrictSpread group");
        Assert.Contains("'first'", log.Warnings(CannotBePlaced)[0].Message, StringComparison.Ordinal);

        // A second node joins: the group is placed, and a refresh that sees both nodes forgets the warning.
        var node = await cluster.AddNodeAsync(1);
        Assert.True(await first.WaitAsync(Deadline), "the group was placed once a second node joined");
        await Eventually.TrueAsync(() => runtime.Cluster.Nodes.Count == 2, Deadline, "the driver's view has both nodes");
        await RefreshesAsync(runtime, 2);
        await driver.RemovePlacementGroupAsync(first);

        // The node leaves: the same bundles and strategy are infeasible again, and warned about once more.
        await cluster.StopNodeAsync(node);
        await Eventually.TrueAsync(() => runtime.Cluster.Nodes.Count == 1, Deadline, "the driver's view lost the second node");
        _ = await driver.CreatePlacementGroupAsync(bundles, PlacementStrategy.StrictSpread, name: "second");
        await Eventually.TrueAsync(() => log.Warnings(CannotBePlaced).Count == 2, Deadline, "a second warning for the StrictSpread shape");
        Assert.Contains("'second'", log.Warnings(CannotBePlaced)[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pending_placement_group_that_becomes_infeasible_when_a_node_it_needed_leaves_is_warned_about_then()
    {
        await using var cluster = await InProcessCluster.StartAsync((2, null));
        var node = await cluster.AddNodeAsync(2);
        var log = new RecordingLoggerProvider();
        await using var driver = await Ray.InitAsync(new RayOptions { Address = cluster.Address, AuthToken = cluster.AuthToken, LogTo = log });
        var runtime = IRayRuntimeAccess.Of(driver);
        await Eventually.TrueAsync(() => runtime.Cluster.Nodes.Count == 2, Deadline, "the driver's view has both nodes");

        // One node is full: a group strictly spread over both nodes waits, feasible (both nodes could hold it empty), and
        // is not warned about.
        var blocker = await driver.CreatePlacementGroupAsync([new Bundle { ["CPU"] = 2 }], PlacementStrategy.Pack, name: "blocker");
        Assert.True(await blocker.WaitAsync(Deadline), "the blocking group was placed");
        var spread = await driver.CreatePlacementGroupAsync([new Bundle { ["CPU"] = 1 }, new Bundle { ["CPU"] = 1 }], PlacementStrategy.StrictSpread, name: "spread");
        await RefreshesAsync(runtime, 3);
        Assert.Equal(PlacementGroupState.Pending, await spread.GetStateAsync());
        Assert.Empty(log.Warnings(CannotBePlaced));

        // A node it needed leaves: one live node can never hold two strictly spread bundles. Warned about now, once.
        await cluster.StopNodeAsync(node);
        await Eventually.TrueAsync(() => runtime.Cluster.Nodes.Count == 1, Deadline, "the driver's view lost the second node");
        await Eventually.TrueAsync(() => log.Warnings(CannotBePlaced).Count >= 1, Deadline, "a warning for the group that became infeasible");
        await RefreshesAsync(runtime, 3);
        var line = Assert.Single(log.Warnings(CannotBePlaced)).Message;
        Assert.StartsWith($"Placement group {spread.Id:N} 'spread' of bundles [{{\"CPU\": 1.0}}, {{\"CPU\": 1.0}}] (StrictSpread) cannot be placed right now", line, StringComparison.Ordinal);
        Assert.Contains("1 live node(s)", line, StringComparison.Ordinal);
        Assert.Equal(PlacementGroupState.Pending, await spread.GetStateAsync());
    }

    /// <summary>Waits until the runtime's view of the cluster was refreshed <paramref name="count"/> more times (each
    /// refresh judges the waiting tasks again).</summary>
    private static async Task RefreshesAsync(Node.NodeRuntime runtime, int count)
    {
        var seen = 0;
        void Count() => Interlocked.Increment(ref seen);
        runtime.Cluster.Refresh.Refreshed += Count;
        try
        {
            await Eventually.TrueAsync(() => Volatile.Read(ref seen) >= count, Deadline, $"{count} refreshes of the view");
        }
        finally
        {
            runtime.Cluster.Refresh.Refreshed -= Count;
        }
    }
}
