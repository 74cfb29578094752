using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>Two in-process nodes of 2 CPUs and one "side" resource each, and one connected driver, shared by the
/// capture tests.</summary>
public sealed class TwoNodeCaptureFixture : IAsyncLifetime
{
    public InProcessCluster Cluster { get; private set; } = null!;

    public IRay Ray { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await InProcessCluster.StartAsync((2, new() { ["side"] = 1 }), (2, new() { ["side"] = 1 }));
        Ray = await OrleansRay.Ray.InitAsync(new RayOptions { Address = Cluster.Address, AuthToken = Cluster.AuthToken });
    }

    public async Task DisposeAsync()
    {
        await Ray.DisposeAsync();
        await Cluster.DisposeAsync();
    }
}

/// <summary>Ray's <c>placement_group_capture_child_tasks</c> and <c>get_current_placement_group</c>
/// (<see cref="TaskOptions.PlacementGroupCaptureChildTasks"/>, <see cref="RayContext.PlacementGroup"/>) on a two-node
/// cluster whose every CPU a group reserves, so a child placed outside the group could never run.</summary>
public sealed class PlacementGroupCaptureTests : IClassFixture<TwoNodeCaptureFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly IRay _ray;

    public PlacementGroupCaptureTests(TwoNodeCaptureFixture fixture)
    {
        _ray = fixture.Ray;
    }

    /// <summary>Where the calling code runs and in which group: "NODE|GROUP" (GROUP empty when none).</summary>
    public static string Here() => $"{RayContext.NodeId.Value}|{RayContext.PlacementGroup?.Id:N}";

    /// <summary>What a child of <see cref="Tree"/> asks for: only bundle 1 has "side", so a captured one can only run
    /// there, on the other node than bundle 0 (the options name no group or strategy).</summary>
    private static TaskOptions SideTask() => new() { NumCpus = 0.5, Resources = { ["side"] = 0.25 } };

    /// <summary>A parent that submits two children; each child submits a grandchild.</summary>
    public static async Task<string[]> Tree()
    {
        var ray = Ray.Current;
        var children = await ray.GetAsync(Enumerable.Range(0, 2).Select(_ => ray.Task(ChildWithGrandchild).Options(SideTask()).Remote()), Deadline);
        return [Here(), .. children.SelectMany(c => c)];
    }

    public static async Task<string[]> ChildWithGrandchild()
    {
        var ray = Ray.Current;
        return [Here(), await ray.GetAsync(ray.Task(Here).Options(SideTask()).Remote(), Deadline)];
    }

    /// <summary>The parent's place, a child's that names no strategy, and a child's that names the default strategy
    /// (all asking for no CPU, so each can run wherever it is placed).</summary>
    public static async Task<string[]> ParentOfFreeChildren()
    {
        var ray = Ray.Current;
        var unset = ray.Task(Here).Options(new TaskOptions { NumCpus = 0 }).Remote();
        var escaped = ray.Task(Here).Options(new TaskOptions { NumCpus = 0, SchedulingStrategy = SchedulingStrategy.Default }).Remote();
        return [Here(), await ray.GetAsync(unset, Deadline), await ray.GetAsync(escaped, Deadline)];
    }

    public static string ChildLargerThanEveryBundle()
    {
        Ray.Current.Task(Here).Options(new TaskOptions { NumCpus = 3 }).Remote();
        return "submitted";
    }

    [Fact]
    public async Task Children_and_grandchildren_of_a_capturing_task_run_in_its_bundles_on_other_nodes_too()
    {
        var pg = await ReadyGroupAsync();
        try
        {
            var bundleNode = await BundleNodesAsync(pg);
            var seen = await _ray.GetAsync(_ray.Task(Tree).Options(new TaskOptions
            {
                PlacementGroup = pg, BundleIndex = 0, PlacementGroupCaptureChildTasks = true,
            }).Remote(), Deadline);

            // Parent, two children, two grandchildren: all in the group. Only bundle 1 holds "side", so the captured
            // ones ran there, on the other node: the group travelled with them and with their children.
            Assert.Equal(5, seen.Length);
            Assert.Equal($"{bundleNode[0]}|{pg.Id:N}", seen[0]);
            Assert.All(seen.Skip(1), s => Assert.Equal($"{bundleNode[1]}|{pg.Id:N}", s));
            Assert.Null(RayContext.PlacementGroup); // a driver is in no group
        }
        finally
        {
            await _ray.RemovePlacementGroupAsync(pg);
        }
    }

    [Fact]
    public async Task Without_capture_children_run_outside_the_group_and_a_child_naming_a_strategy_escapes_it()
    {
        var pg = await ReadyGroupAsync();
        try
        {
            var bundleNode = await BundleNodesAsync(pg);
            var plain = await _ray.GetAsync(_ray.Task(ParentOfFreeChildren).Options(new TaskOptions { PlacementGroup = pg, BundleIndex = 1 }).Remote(), Deadline);
            Assert.Equal($"{bundleNode[1]}|{pg.Id:N}", plain[0]); // its own group, as Ray's get_current_placement_group
            Assert.EndsWith("|", plain[1]);
            Assert.EndsWith("|", plain[2]);

            var capturing = await _ray.GetAsync(_ray.Task(ParentOfFreeChildren).Options(new TaskOptions
            {
                PlacementGroup = pg, BundleIndex = 1, PlacementGroupCaptureChildTasks = true,
            }).Remote(), Deadline);
            Assert.EndsWith($"|{pg.Id:N}", capturing[1]);
            Assert.EndsWith("|", capturing[2]);
        }
        finally
        {
            await _ray.RemovePlacementGroupAsync(pg);
        }
    }

    [Fact]
    public async Task A_capturing_actor_places_the_tasks_it_submits_and_the_actors_it_creates_in_its_group()
    {
        var pg = await ReadyGroupAsync();
        try
        {
            var bundleNode = await BundleNodesAsync(pg);
            var actor = _ray.Actor(() => new Spawner())
                .Options(new ActorOptions { NumCpus = 2, PlacementGroup = pg, BundleIndex = 0, PlacementGroupCaptureChildTasks = true })
                .Remote();
            var seen = await _ray.GetAsync(actor.Task(a => a.SpawnAsync()).Remote(), Deadline);

            Assert.Equal($"{bundleNode[0]}|{pg.Id:N}", seen[0]); // what its constructor saw
            Assert.Equal($"{bundleNode[0]}|{pg.Id:N}", seen[1]); // its method
            Assert.Equal($"{bundleNode[1]}|{pg.Id:N}", seen[2]); // its task of 1 CPU: bundle 0 is full with the actor
            Assert.Equal($"{bundleNode[1]}|{pg.Id:N}", seen[3]); // its actor of 1 CPU
            await _ray.KillAsync(actor);
        }
        finally
        {
            await _ray.RemovePlacementGroupAsync(pg);
        }
    }

    [Fact]
    public async Task Capture_without_a_group_and_a_captured_child_no_bundle_can_hold_are_refused_with_what_to_do()
    {
        var task = Assert.Throws<ArgumentException>(() => _ray.Task(Here).Options(new TaskOptions { PlacementGroupCaptureChildTasks = true }).Remote());
        Assert.Equal("PlacementGroupCaptureChildTasks", task.ParamName);
        Assert.Contains("PlacementGroup is not set", task.Message);
        var actor = Assert.Throws<ArgumentException>(() => _ray.Actor(() => new Spawner()).Options(new ActorOptions { PlacementGroupCaptureChildTasks = true }).Remote());
        Assert.Equal("PlacementGroupCaptureChildTasks", actor.ParamName);

        var pg = await ReadyGroupAsync();
        try
        {
            // An actor behind a grain interface runs its methods as grain calls, outside any task: it cannot capture.
            var grainActor = await Assert.ThrowsAsync<ArgumentException>(() => _ray.CreateActorAsync<TestGrainActors.ICounterActor>(
                new ActorOptions { PlacementGroup = pg, PlacementGroupCaptureChildTasks = true }));
            Assert.Contains("not supported for an actor behind a grain interface", grainActor.Message);

            var failure = await Assert.ThrowsAsync<RayTaskException>(() => _ray.GetAsync(_ray.Task(ChildLargerThanEveryBundle).Options(new TaskOptions
            {
                NumCpus = 0, PlacementGroup = pg, PlacementGroupCaptureChildTasks = true,
            }).Remote(), Deadline).AsTask());
            Assert.Contains("captures its children", failure.Message);
            Assert.Contains("SchedulingStrategy", failure.Message);
        }
        finally
        {
            await _ray.RemovePlacementGroupAsync(pg);
        }
    }

    public static string Assigned() =>
        string.Join(",", RayContext.AssignedResources.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => FormattableString.Invariant($"{kv.Key}={kv.Value}")));

    [Fact]
    public async Task Assigned_resources_are_what_the_task_or_actor_holds_by_plain_names()
    {
        Assert.Empty(RayContext.AssignedResources); // a driver holds nothing
        Assert.Equal("CPU=1", await _ray.GetAsync(_ray.Task(Assigned).Remote(), Deadline));
        Assert.Equal("CPU=0.5,side=1", await _ray.GetAsync(_ray.Task(Assigned).Options(new TaskOptions { NumCpus = 0.5, Resources = { ["side"] = 1 } }).Remote(), Deadline));
        var plain = _ray.Actor(() => new AssignedReporter()).Remote();
        Assert.Equal("|", await _ray.GetAsync(plain.Task(a => a.Both()).Remote(), Deadline)); // an actor holds no CPU unless asked
        await _ray.KillAsync(plain);

        var pg = await ReadyGroupAsync();
        try
        {
            Assert.Equal("CPU=0.5,side=0.25", await _ray.GetAsync(_ray.Task(Assigned).Options(new TaskOptions
            {
                NumCpus = 0.5, Resources = { ["side"] = 0.25 }, PlacementGroup = pg, BundleIndex = 1,
            }).Remote(), Deadline));
            var inBundle = _ray.Actor(() => new AssignedReporter()).Options(new ActorOptions { NumCpus = 2, PlacementGroup = pg }).Remote();
            Assert.Equal("CPU=2|CPU=2", await _ray.GetAsync(inBundle.Task(a => a.Both()).Remote(), Deadline));
            await _ray.KillAsync(inBundle);
        }
        finally
        {
            await _ray.RemovePlacementGroupAsync(pg);
        }
    }

    public async Task InitializeAsync() => await PlacementGroupTests.WaitAllFreeAsync(_ray, 4);

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>A group of two 2-CPU bundles, one per node (the second with a "side" too): every CPU of the cluster, so
    /// nothing that asks for a CPU runs outside it.</summary>
    private async Task<PlacementGroup> ReadyGroupAsync()
    {
        var pg = await _ray.CreatePlacementGroupAsync([new Bundle { ["CPU"] = 2 }, new Bundle { ["CPU"] = 2, ["side"] = 1 }], PlacementStrategy.StrictSpread);
        await pg.ReadyAsync().WaitAsync(Deadline);
        return pg;
    }

    /// <summary>The node of each bundle, found by running a task that asks for nothing in it.</summary>
    private async Task<string[]> BundleNodesAsync(PlacementGroup pg)
    {
        var nodes = await _ray.GetAsync(Enumerable.Range(0, 2)
            .Select(i => _ray.Task(Here).Options(new TaskOptions { NumCpus = 0.5, PlacementGroup = pg, BundleIndex = i }).Remote()), Deadline);
        Assert.NotEqual(nodes[0], nodes[1]);
        return nodes.Select(n => n.Split('|')[0]).ToArray();
    }
}

/// <summary>An actor that records the group its constructor saw, then submits a task and creates an actor of one CPU each.</summary>
public sealed class Spawner
{
    private readonly string _constructed = PlacementGroupCaptureTests.Here();

    public async Task<string[]> SpawnAsync()
    {
        var ray = Ray.Current;
        var task = await ray.GetAsync(ray.Task(PlacementGroupCaptureTests.Here).Remote(), TimeSpan.FromSeconds(30));
        var child = ray.Actor(() => new NodeReporterInGroup()).Options(new ActorOptions { NumCpus = 1 }).Remote();
        var actor = await ray.GetAsync(child.Task(a => a.Here()).Remote(), TimeSpan.FromSeconds(30));
        await ray.KillAsync(child);
        return [_constructed, PlacementGroupCaptureTests.Here(), task, actor];
    }
}

public sealed class NodeReporterInGroup
{
    public string Here() => PlacementGroupCaptureTests.Here();
}

/// <summary>Reports <see cref="RayContext.AssignedResources"/> as its constructor and a method saw them: "CTOR|METHOD".</summary>
public sealed class AssignedReporter
{
    private readonly string _constructed = PlacementGroupCaptureTests.Assigned();

    public string Both() => $"{_constructed}|{PlacementGroupCaptureTests.Assigned()}";
}
