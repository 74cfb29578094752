using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Serialization;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>Ray's placement group lifetime: a group belongs to the job that created it (the driver, or a task of the job)
/// and is removed when that job ends, unless it was created detached (<c>lifetime="detached"</c>), which keeps it until
/// removed explicitly. On 3 nodes of 2 CPUs; the job is a second connected driver that disposes its IRay, watched from
/// the fixture's driver.</summary>
public sealed class PlacementGroupLifetimeTests : IClassFixture<ThreeNodeClusterFixture>, IAsyncLifetime
{
    /// <summary>The job table hears of a disposed driver at once and each group asks it every second; the rest is
    /// slack for a loaded machine.</summary>
    private static readonly TimeSpan Deadline = PlacementGroupTests.Deadline;

    private const double TotalCpus = 6;

    private readonly ThreeNodeClusterFixture _fixture;
    private readonly IRay _ray;

    public PlacementGroupLifetimeTests(ThreeNodeClusterFixture fixture)
    {
        _fixture = fixture;
        _ray = fixture.Ray;
    }

    public Task InitializeAsync() => PlacementGroupTests.WaitAllFreeAsync(_ray, TotalCpus);

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>Creates a group of one 1-CPU bundle from inside a task; returns its id.</summary>
    public static async Task<string> CreateGroupInTask(string name, bool detached) =>
        (await Ray.Current.CreatePlacementGroupAsync([new Bundle { ["CPU"] = 1 }], PlacementStrategy.Pack, name, detached)).Id.ToString("N");

    [Fact]
    public async Task A_drivers_groups_are_removed_when_its_job_ends_and_a_detached_group_stays()
    {
        var ending = Unique("ends");
        var kept = Unique("kept");
        await using (var job = await ConnectAsync())
        {
            var endingGroup = await job.CreatePlacementGroupAsync(PlacementGroupTests.CpuBundles(2), PlacementStrategy.Spread, ending);
            var keptGroup = await job.CreatePlacementGroupAsync(PlacementGroupTests.CpuBundles(1), PlacementStrategy.Pack, kept, detached: true);
            await endingGroup.ReadyAsync().WaitAsync(Deadline);
            await keptGroup.ReadyAsync().WaitAsync(Deadline);
            await WaitFreeCpusAsync(TotalCpus - 3, "both groups reserved while the job runs");
            Assert.Equal(endingGroup.Id, (await _ray.GetPlacementGroupAsync(ending)).Id);
        }

        // The job ended: its group is removed as RemovePlacementGroupAsync would, the detached one stays.
        await WaitFreeCpusAsync(TotalCpus - 1, "the ended job's group to give its 2 CPUs back (the detached group keeps 1)");
        await Eventually.TrueAsync(async () => !(await ListedAsync(ending)).Any(s => s != "REMOVED"), Deadline, "the ended job's group listed REMOVED or not at all");
        await Assert.ThrowsAsync<PlacementGroupNotFoundException>(() => _ray.GetPlacementGroupAsync(ending));

        // Its name is free again.
        var reused = await _ray.CreatePlacementGroupAsync(PlacementGroupTests.CpuBundles(1), PlacementStrategy.Pack, ending);
        Assert.Equal(reused.Id, (await _ray.GetPlacementGroupAsync(ending)).Id);
        await _ray.RemovePlacementGroupAsync(reused);

        // The detached group is created and usable from another driver, until removed explicitly.
        var found = await _ray.GetPlacementGroupAsync(kept);
        await found.ReadyAsync().WaitAsync(Deadline);
        Assert.Equal(["CREATED"], await ListedAsync(kept));
        var node = await _ray.GetAsync(_ray.Task(PlacementGroupTests.WhereAmI).Options(new TaskOptions { PlacementGroup = found, BundleIndex = 0 }).Remote(), Deadline);
        Assert.Contains(node, _fixture.Cluster.Nodes.Select(n => n.NodeId.Value));
        await _ray.RemovePlacementGroupAsync(found);
        await PlacementGroupTests.WaitAllFreeAsync(_ray, TotalCpus);
    }

    [Fact]
    public async Task A_group_created_by_a_task_of_the_job_is_removed_with_the_job()
    {
        var ending = Unique("task-ends");
        var kept = Unique("task-kept");
        await using (var job = await ConnectAsync())
        {
            var noCpu = new TaskOptions { NumCpus = 0 };
            var endingId = await job.GetAsync(job.Task(CreateGroupInTask, ending, false).Options(noCpu).Remote(), Deadline);
            var keptId = await job.GetAsync(job.Task(CreateGroupInTask, kept, true).Options(noCpu).Remote(), Deadline);
            Assert.Equal(endingId, (await _ray.GetPlacementGroupAsync(ending)).Id.ToString("N"));
            Assert.Equal(keptId, (await _ray.GetPlacementGroupAsync(kept)).Id.ToString("N"));
            await (await _ray.GetPlacementGroupAsync(ending)).ReadyAsync().WaitAsync(Deadline);
            await (await _ray.GetPlacementGroupAsync(kept)).ReadyAsync().WaitAsync(Deadline);
            await WaitFreeCpusAsync(TotalCpus - 2, "both groups the task created reserved while the job runs");
        }

        await WaitFreeCpusAsync(TotalCpus - 1, "the group a task of the ended job created to give its CPU back");
        await Eventually.TrueAsync(async () => !(await ListedAsync(ending)).Any(s => s != "REMOVED"), Deadline, "the task's group listed REMOVED or not at all");
        await Assert.ThrowsAsync<PlacementGroupNotFoundException>(() => _ray.GetPlacementGroupAsync(ending));

        var found = await _ray.GetPlacementGroupAsync(kept);
        await found.ReadyAsync().WaitAsync(Deadline);
        await _ray.RemovePlacementGroupAsync(found);
        await PlacementGroupTests.WaitAllFreeAsync(_ray, TotalCpus);
    }

    [Fact]
    public async Task A_stored_group_row_keeps_its_job_and_a_row_without_one_is_kept_as_detached()
    {
        var serializer = new ServiceCollection()
            .AddSerializer(b => b.AddAssembly(typeof(ControlStore.PlacementGroupRow).Assembly))
            .BuildServiceProvider()
            .GetRequiredService<Serializer>();
        var bundles = new[] { new Bundle { ["CPU"] = 1 }.ToResourceSet(0) };
        var job = new Grains.PlacementGroupSpec { Name = "g", Bundles = bundles, Namespace = "ns", Job = "driver-1" };

        // The row PostgreSQL keeps (Orleans-serialized bytes) carries the job and the lifetime.
        foreach (var spec in new[] { job, job with { Detached = true } })
        {
            var row = new ControlStore.PlacementGroupRow(spec, PlacementGroupState.Created, [], []);
            var read = serializer.Deserialize<ControlStore.PlacementGroupRow>(serializer.SerializeToArray(row))!;
            Assert.Equal("driver-1", read.Spec.Job);
            Assert.Equal(spec.Detached, read.Spec.Detached);
            Assert.Equal(!spec.Detached, read.Spec.EndsWithJob);
        }

        // A row stored before groups had jobs names none: it never ends with a job, and the job table is not asked.
        var old = new Grains.PlacementGroupSpec { Name = "g", Bundles = bundles, Namespace = "ns" };
        Assert.False(old.EndsWithJob);
        Assert.False(await new ControlStore.PlacementGroupJob(Guid.NewGuid(), NullLogger.Instance).EndedAsync(null!, old));
    }

    /// <summary>A second connected driver (a job of its own) in the fixture driver's namespace.</summary>
    private Task<IRay> ConnectAsync() =>
        Ray.InitAsync(new RayOptions { Address = _fixture.Cluster.Address, AuthToken = _fixture.Cluster.AuthToken, Namespace = _ray.Namespace });

    /// <summary>The states the state API lists for the groups named <paramref name="name"/>.</summary>
    private async Task<string[]> ListedAsync(string name) =>
        (await _ray.State.ListPlacementGroupsAsync(StateListOptions.Where($"name={name}"))).Rows.Select(r => r.State).ToArray();

    private Task WaitFreeCpusAsync(double cpus, string because) =>
        Eventually.TrueAsync(async () => (await _ray.AvailableResourcesAsync()).GetValueOrDefault("CPU") == cpus, Deadline, because);

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}";
}
