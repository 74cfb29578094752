using OrleansRay.Tests.Fixtures;
using OrleansRay.Tests.Functions;
using OrleansRay.Tests.Training;
using OrleansRay.Train;
using Xunit;

namespace OrleansRay.Tests;

/// <summary><see cref="RayContext.GpuIds"/> (Ray's <c>ray.get_gpu_ids()</c>) on an embedded node with 2 GPUs: which GPU
/// each task and actor is given while others hold theirs, fractions, a waiting parent, placement-group bundles.</summary>
/// <remarks>Tasks that report their ids wait on a gate, so the ones compared really hold their GPUs at the same time.</remarks>
public sealed class GpuIdsTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private IRay _ray = null!;

    public async Task InitializeAsync() => _ray = await Ray.InitAsync(new RayOptions { NumCpus = 4, NumGpus = 2, Namespace = "gpu-ids" });

    public async Task DisposeAsync() => await _ray.DisposeAsync();

    /// <summary>The running code's GPU ids, "0,1" style ("" for none).</summary>
    public static string Ids() => string.Join(",", RayContext.GpuIds);

    /// <summary>Counts itself started under <paramref name="key"/>, waits for the gate <paramref name="key"/>, then
    /// reports its ids as it saw them before and after the wait.</summary>
    public static string HoldAndReport(string key)
    {
        var before = Ids();
        Counters.Increment(key);
        Assert.True(Gates.Get(key).Wait(Deadline), "the test opens the gate");
        return before == Ids() ? before : $"{before} then {Ids()}";
    }

    /// <summary>Holds its GPU while it waits for a child that needs one too: "parent|child".</summary>
    public static async Task<string> ParentWaitingForGpuChild()
    {
        var mine = Ids();
        var ray = Ray.Current;
        var child = await ray.GetAsync(ray.Task(Ids).Options(new TaskOptions { NumGpus = 1 }).Remote(), Deadline);
        return $"{mine}|{child}|{Ids()}";
    }

    private async Task<string[]> RunTogetherAsync(string key, params TaskOptions[] options)
    {
        var refs = options.Select(o => _ray.Task(HoldAndReport, key).Options(o).Remote()).ToArray();
        await Eventually.TrueAsync(() => Counters.Get(key) == options.Length, Deadline, $"all {options.Length} tasks run at once");
        Gates.Get(key).Set();
        return [.. (await _ray.GetAsync(refs, Deadline)).Order(StringComparer.Ordinal)];
    }

    private static string Key() => "gpu-ids-" + Guid.NewGuid().ToString("N");

    [Fact]
    public async Task Tasks_holding_GPUs_at_the_same_time_get_distinct_GPUs_and_fractions_share_one()
    {
        Assert.Empty(RayContext.GpuIds); // a driver holds none
        Assert.Equal("", await _ray.GetAsync(_ray.Task(Ids).Remote(), Deadline)); // a task that asked for none

        Assert.Equal(["0", "1"], await RunTogetherAsync(Key(), new TaskOptions { NumGpus = 1 }, new TaskOptions { NumGpus = 1 }));
        Assert.Equal(["0,1"], await RunTogetherAsync(Key(), new TaskOptions { NumGpus = 2 }));

        // Four halves: two on each GPU, packed (the second half goes where the first is), not spread one per GPU.
        var half = new TaskOptions { NumGpus = 0.5, NumCpus = 0.5 };
        Assert.Equal(["0", "0", "1", "1"], await RunTogetherAsync(Key(), half, half, half, half));
    }

    [Fact]
    public async Task An_actor_holds_its_GPU_for_life_and_tasks_meanwhile_get_the_other()
    {
        var actor = _ray.Actor(() => new GpuReporter()).Options(new ActorOptions { NumGpus = 1 }).Remote();
        var seen = await _ray.GetAsync(actor.Task(a => a.Both()).Remote(), Deadline);
        var mine = seen.Split('|')[0];
        Assert.Equal($"{mine}|{mine}", seen); // its constructor and its methods see the same GPU
        Assert.Contains(mine, new[] { "0", "1" });

        var other = mine == "0" ? "1" : "0";
        Assert.Equal([other], await RunTogetherAsync(Key(), new TaskOptions { NumGpus = 1 }));
        Assert.Equal([other, other], await RunTogetherAsync(Key(), new TaskOptions { NumGpus = 0.5 }, new TaskOptions { NumGpus = 0.5 }));

        // An actor behind a grain interface reads its GPU from ActorGrain.GpuIds: the other one now.
        var grain = await _ray.CreateActorAsync<TestGrainActors.ICounterActor>(new ActorOptions { NumGpus = 1 });
        Assert.Equal([int.Parse(other, System.Globalization.CultureInfo.InvariantCulture)], await grain.Gpus());
        await _ray.KillAsync(grain);

        await _ray.KillAsync(actor);
        await Eventually.TrueAsync(async () => (await _ray.AvailableResourcesAsync()).GetValueOrDefault("GPU") == 2, Deadline, "the killed actors' GPUs are free");
        Assert.Equal(["0", "1"], await RunTogetherAsync(Key(), new TaskOptions { NumGpus = 1 }, new TaskOptions { NumGpus = 1 }));
    }

    [Fact]
    public async Task A_task_waiting_for_a_GPU_child_keeps_its_GPU_and_the_child_gets_the_other()
    {
        var seen = await _ray.GetAsync(_ray.Task(ParentWaitingForGpuChild).Options(new TaskOptions { NumGpus = 1 }).Remote(), Deadline);
        Assert.True(seen is "0|1|0" or "1|0|1", $"parent|child|parent after the wait: {seen}");
    }

    /// <summary>Waits for gate <paramref name="key"/>.</summary>
    public static int BlockOn(string key) => Gates.Get(key).Wait(Deadline) ? 1 : 0;

    /// <summary>Starts a Get of a child that waits for gate <paramref name="key"/>, and returns without ending it: its
    /// lease ends with the wait still open.</summary>
    public static string ReturnWithAWaitOpen(string key)
    {
        var ray = Ray.Current;
        _ = ray.GetAsync(ray.Task(BlockOn, key).Options(new TaskOptions { NumCpus = 0 }).Remote()).AsTask();
        return Ids();
    }

    [Fact]
    public async Task GPUs_come_back_from_a_force_cancelled_task_and_from_a_task_that_returned_with_a_wait_open()
    {
        var held = Key();
        var cancelled = _ray.Task(HoldAndReport, held).Options(new TaskOptions { NumGpus = 2 }).Remote();
        await Eventually.TrueAsync(() => Counters.Get(held) == 1, Deadline, "the 2-GPU task runs");
        try
        {
            await _ray.CancelAsync(cancelled, force: true);
            await Assert.ThrowsAsync<TaskCancelledException>(async () => await _ray.GetAsync(cancelled, Deadline));
            Assert.Equal(["0", "1"], await RunTogetherAsync(Key(), new TaskOptions { NumGpus = 1 }, new TaskOptions { NumGpus = 1 }));
        }
        finally
        {
            Gates.Get(held).Set(); // the abandoned code still runs on its thread until it returns
        }

        var child = Key();
        try
        {
            Assert.Equal("0,1", await _ray.GetAsync(_ray.Task(ReturnWithAWaitOpen, child).Options(new TaskOptions { NumGpus = 2 }).Remote(), Deadline));
            Assert.Equal(["0", "1"], await RunTogetherAsync(Key(), new TaskOptions { NumGpus = 1 }, new TaskOptions { NumGpus = 1 }));
        }
        finally
        {
            Gates.Get(child).Set();
        }
    }

    [Fact]
    public async Task An_actor_keeps_its_GPU_across_a_restart_and_more_than_one_GPU_must_be_whole()
    {
        var actor = _ray.Actor(() => new GpuReporter()).Options(new ActorOptions { NumGpus = 1, MaxRestarts = 1 }).Remote();
        var before = await _ray.GetAsync(actor.Task(a => a.Both()).Remote(), Deadline);
        await _ray.KillAsync(actor, noRestart: false);
        string? after = null;
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                after = await _ray.GetAsync(actor.Task(a => a.Both()).Remote(), Deadline);
                return true;
            }
            catch (ActorDiedException)
            {
                return false; // a call that reached the instance being killed
            }
        }, Deadline, "the restarted actor answers");
        Assert.Equal(before, after);
        await _ray.KillAsync(actor);

        var task = Assert.Throws<ArgumentOutOfRangeException>(() => _ray.Task(Ids).Options(new TaskOptions { NumGpus = 1.5 }).Remote());
        Assert.Equal("NumGpus", task.ParamName);
        Assert.Contains("TaskOptions.NumGpus is 1.5: above 1, ask for a whole number of GPUs", task.Message);
        var created = Assert.Throws<ArgumentOutOfRangeException>(() => _ray.Actor(() => new GpuReporter()).Options(new ActorOptions { NumGpus = 2.5 }).Remote());
        Assert.Equal("NumGpus", created.ParamName);
    }

    [Fact]
    public async Task Work_in_a_bundle_gets_the_GPU_the_bundle_reserved()
    {
        var pg = await _ray.CreatePlacementGroupAsync([new Bundle { ["CPU"] = 1, ["GPU"] = 1 }]);
        await pg.ReadyAsync().WaitAsync(Deadline);
        try
        {
            var key = Key();
            var inBundle = _ray.Task(HoldAndReport, key).Options(new TaskOptions { NumGpus = 1, NumCpus = 0.5, PlacementGroup = pg, BundleIndex = 0 }).Remote();
            var outside = _ray.Task(HoldAndReport, key).Options(new TaskOptions { NumGpus = 1 }).Remote();
            await Eventually.TrueAsync(() => Counters.Get(key) == 2, Deadline, "both tasks run at once");
            Gates.Get(key).Set();
            var (bundleGpu, nodeGpu) = (await _ray.GetAsync(inBundle, Deadline), await _ray.GetAsync(outside, Deadline));
            Assert.NotEqual(bundleGpu, nodeGpu);

            // The bundle's GPU is the same for every tenant, a half of it included, whichever bundle syntax asks.
            var actor = _ray.Actor(() => new GpuReporter()).Options(new ActorOptions { NumGpus = 0.5, PlacementGroup = pg }).Remote();
            Assert.Equal($"{bundleGpu}|{bundleGpu}", await _ray.GetAsync(actor.Task(a => a.Both()).Remote(), Deadline));
            Assert.Equal(bundleGpu, await _ray.GetAsync(_ray.Task(Ids).Options(new TaskOptions { NumGpus = 0.5, NumCpus = 0, PlacementGroup = pg }).Remote(), Deadline));
            await _ray.KillAsync(actor);
        }
        finally
        {
            await _ray.RemovePlacementGroupAsync(pg);
        }

        await Eventually.TrueAsync(async () => (await _ray.AvailableResourcesAsync()).GetValueOrDefault("GPU") == 2, Deadline, "the group's GPU is back");
        Assert.Equal(["0", "1"], await RunTogetherAsync(Key(), new TaskOptions { NumGpus = 1 }, new TaskOptions { NumGpus = 1 }));
    }

    [Fact]
    public async Task Train_workers_with_UseGpu_each_get_a_GPU_of_their_own()
    {
        using var storage = new TempStorage();
        var trainer = new DataParallelTrainer(GpuLoops.ReportGpus, new ScalingConfig { NumWorkers = 2, UseGpu = true },
            new RunConfig { StoragePath = storage.Path, Name = "gpus", Verbose = false });

        var result = await trainer.FitAsync(_ray);

        Assert.Equal([0.0, 1.0], new[] { result.Metrics["gpu_of_rank_0"], result.Metrics["gpu_of_rank_1"] }.Order());
    }
}

/// <summary>Reports <see cref="RayContext.GpuIds"/> as its constructor and a method saw them: "CTOR|METHOD".</summary>
public sealed class GpuReporter
{
    private readonly string _constructed = GpuIdsTests.Ids();

    public string Both() => $"{_constructed}|{GpuIdsTests.Ids()}";
}

/// <summary>A training loop for <see cref="GpuIdsTests"/>.</summary>
public static class GpuLoops
{
    /// <summary>Each rank puts its GPU id + 1 in its slot; rank 0 reports them all.</summary>
    public static async Task ReportGpus(TrainContext context)
    {
        var gpus = new double[context.WorldSize];
        gpus[context.WorldRank] = RayContext.GpuIds.Single() + 1;
        var all = await context.AllReduceAsync(gpus, Train.Collective.ReduceOp.Sum);
        await context.ReportAsync(Enumerable.Range(0, all.Length).ToDictionary(r => $"gpu_of_rank_{r}", r => all[r] - 1));
    }
}

/// <summary>An actor created on a node whose free GPU amount is split over its GPUs (0.4 left on each of two) and that
/// asks for more than one GPU has left goes to a node with a GPU that holds it, instead of waiting where it was created.</summary>
public sealed class GpuActorPlacementTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private InProcessCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await InProcessCluster.StartAsync(o => o.NumGpus = 2, (2, null), (2, null));

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    /// <summary>Creates an actor of 0.8 GPU here and returns the node it runs on and its GPU, or "pending" when it has not
    /// started within 5 s (it waits where it was placed: this node's view of the others may not have shown a GPU with room
    /// yet, the suite being busy); the actor is killed either way.</summary>
    public static async Task<string> CreateLargerShareHere()
    {
        var ray = Ray.Current;
        var actor = ray.Actor(() => new GpuPlace()).Options(new ActorOptions { NumGpus = 0.8 }).Remote();
        try
        {
            return await ray.GetAsync(actor.Task(a => a.Where()).Remote(), TimeSpan.FromSeconds(5));
        }
        catch (GetTimeoutException)
        {
            return "pending";
        }
        finally
        {
            await ray.KillAsync(actor);
        }
    }

    [Fact]
    public async Task A_GPU_actor_that_no_GPU_of_its_node_can_hold_now_goes_to_a_node_that_can()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        var first = _cluster.Nodes[0].NodeId;
        var pinned = new ActorOptions { NumGpus = 0.6, SchedulingStrategy = SchedulingStrategy.NodeAffinity(first) };
        var shares = new[] { ray.Actor(() => new GpuPlace()).Options(pinned).Remote(), ray.Actor(() => new GpuPlace()).Options(pinned).Remote() };
        var held = await ray.GetAsync(shares.Select(a => a.Task(x => x.Where()).Remote()), Deadline);
        Assert.Equal([$"{first.Value}/0", $"{first.Value}/1"], held.Order(StringComparer.Ordinal)); // 0.4 left on each GPU of the first node

        // Before the fix the first node's free amount (0.8) kept every such actor there, waiting beside a free GPU elsewhere.
        var placed = "pending";
        await Eventually.TrueAsync(async () => (placed = await ray.GetAsync(ray.Task(CreateLargerShareHere)
            .Options(new TaskOptions { NumCpus = 0, SchedulingStrategy = SchedulingStrategy.NodeAffinity(first) }).Remote(), Deadline)) != "pending",
            TimeSpan.FromSeconds(90), "an actor of 0.8 GPU created on the first node starts on a GPU with room");
        Assert.StartsWith(_cluster.Nodes[1].NodeId.Value + "/", placed);
        foreach (var share in shares)
        {
            await ray.KillAsync(share);
        }
    }
}

/// <summary>Reports "node/gpu" of where it runs.</summary>
public sealed class GpuPlace
{
    public string Where() => $"{RayContext.NodeId.Value}/{string.Join(",", RayContext.GpuIds)}";
}
