using System.Collections.Concurrent;
using OrleansRay.Execution;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.Semantics;

/// <summary>An actor created inside a task or an actor method belongs to the job of its creator (Ray's <c>job_id</c>),
/// and dies when that job ends unless detached, wherever it was created and even while it still waits for its
/// resources. Two in-process nodes (the second with one <c>slot</c>) and two connected drivers: the job that ends and
/// another that watches.</summary>
public sealed class NestedActorJobTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private InProcessCluster _cluster = null!;
    private IRay _ended = null!;
    private IRay _other = null!;

    public async Task InitializeAsync()
    {
        _cluster = await InProcessCluster.StartAsync((2, null), (2, new Dictionary<string, double> { ["slot"] = 1 }));
        _ended = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        _other = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
    }

    public async Task DisposeAsync()
    {
        await _ended.DisposeAsync();
        await _other.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    /// <summary>Creates the named actor <paramref name="name"/> from wherever it runs (a task, an actor method), holding
    /// <paramref name="slots"/> of the <c>slot</c> resource; returns the name.</summary>
    public static string CreateNamed(string name, bool detached, double slots)
    {
        var options = new ActorOptions { Name = name, Lifetime = detached ? ActorLifetime.Detached : ActorLifetime.NonDetached };
        if (slots > 0)
        {
            options.Resources["slot"] = slots;
        }

        Ray.Current.Actor(() => new JobProbe(name)).Options(options).Remote();
        return name;
    }

    [Fact]
    public async Task An_actor_created_inside_a_task_or_an_actor_method_lists_its_drivers_job_id()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var inTask = await _ended.Task(CreateNamed, $"in-task-{run}", false, 0.0).Remote();
        var spawner = _ended.Actor(() => new JobProbe($"spawner-{run}")).Remote();
        var inActor = await spawner.Task((s, n) => s.Create(n), $"in-actor-{run}").Remote();

        var jobId = ((RayDriver)_ended).JobId;
        foreach (var name in new[] { inTask, inActor })
        {
            var row = await AliveRowAsync(name);
            Assert.True(row.JobId == jobId, $"actor {name}, created inside the job's {(name == inTask ? "task" : "actor")}, lists job_id '{row.JobId}', not its driver's job {jobId}");
        }

        // A job filter finds them too (the filter names the job as list jobs shows it).
        var ofJob = await _other.State.ListActorsAsync(StateListOptions.Where($"job_id={jobId}"));
        Assert.Contains(ofJob.Rows, r => r.Name == inTask);
        Assert.Contains(ofJob.Rows, r => r.Name == inActor);
    }

    [Fact]
    public async Task On_job_end_its_nested_non_detached_actors_die_and_its_nested_detached_actor_lives()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var inTask = await _ended.Task(CreateNamed, $"in-task-{run}", false, 0.0).Remote();
        var detached = await _ended.Task(CreateNamed, $"detached-{run}", true, 0.0).Remote();
        var spawner = _ended.Actor(() => new JobProbe($"spawner-{run}")).Remote();
        var inActor = await spawner.Task((s, n) => s.Create(n), $"in-actor-{run}").Remote();

        // The watching job's handles, taken while the names are registered (a dead actor's name is released).
        var handles = new Dictionary<string, ActorHandle<JobProbe>>();
        foreach (var name in new[] { inTask, detached, inActor })
        {
            await AliveRowAsync(name);
            handles[name] = await _other.GetActorAsync<JobProbe>(name);
            Assert.Equal("pong", await handles[name].Task(p => p.Ping()).Remote());
        }

        // As in Ray, a detached actor lists the job that created it (it does not end with that job).
        Assert.Equal(((RayDriver)_ended).JobId, (await AliveRowAsync(detached)).JobId);

        await _ended.DisposeAsync();

        foreach (var name in new[] { inTask, inActor })
        {
            await Eventually.TrueAsync(
                async () =>
                {
                    try
                    {
                        await handles[name].Task(p => p.Ping()).Remote();
                        return false;
                    }
                    catch (ActorDiedException)
                    {
                        return true;
                    }
                },
                Deadline,
                $"the job's nested non-detached actor {name} to die with its job");
        }

        Assert.Equal("pong", await handles[detached].Task(p => p.Ping()).Remote());
        var row = await _other.State.ListActorsAsync(StateListOptions.Where($"name={detached}"));
        Assert.Contains(row.Rows, r => r.State == "ALIVE" && r.JobId == ((RayDriver)_ended).JobId); // still its creator's job
        await _other.KillAsync(handles[detached]);
    }

    [Fact]
    public async Task A_nested_actor_creation_waiting_for_resources_when_its_job_ends_never_starts()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        // The watching job holds the only slot, so the ended job's actor waits for it.
        var blocker = _other.Actor(() => new JobProbe($"blocker-{run}")).Options(new ActorOptions { Resources = { ["slot"] = 1 } }).Remote();
        Assert.Equal("pong", await blocker.Task(p => p.Ping()).Remote());

        var pending = await _ended.Task(CreateNamed, $"pending-{run}", false, 1.0).Remote();
        await Eventually.TrueAsync(
            async () => (await _other.State.ListActorsAsync(StateListOptions.Where($"name={pending}"))).Rows.Any(r => r.State == "PENDING" && r.Node.Length > 0),
            Deadline,
            $"{pending} to wait for the slot on its node");

        await _ended.DisposeAsync();
        await Eventually.TrueAsync(
            async () => (await _other.State.ListActorsAsync(StateListOptions.Where($"name={pending}"))).Rows.Any(r => r.State == "DEAD"),
            Deadline,
            $"the ended job's pending actor {pending} to be listed DEAD");

        // The slot comes free: an actor of the live job gets it; the dead creation never started, then or since.
        await _other.KillAsync(blocker);
        var probe = _other.Actor(() => new JobProbe($"probe-{run}")).Options(new ActorOptions { Resources = { ["slot"] = 1 } }).Remote();
        Assert.Equal("pong", await _other.GetAsync(probe.Task(p => p.Ping()).Remote(), Deadline));
        Assert.False(JobProbe.Constructed.ContainsKey(pending), $"{pending}, a creation of a job that had ended, started");
    }

    [Fact]
    public async Task A_creation_that_reaches_its_node_after_its_job_ended_starts_dead()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var endedDriver = ((RayInstance)_ended).Runtime.WorkerId;
        // A live actor on each node keeps it reading the job table (a node with nothing of any job does not).
        var keepers = _cluster.Nodes.Select(n => _other.Actor(() => new JobProbe($"keeper-{run}-{n.NodeId}"))
            .Options(new ActorOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(n.NodeId) }).Remote()).ToList();
        foreach (var keeper in keepers)
        {
            Assert.Equal("pong", await keeper.Task(p => p.Ping()).Remote());
        }

        await _ended.DisposeAsync();
        await Eventually.TrueAsync(() => _cluster.Nodes.All(n => n.Runtime.Scheduler.FinishedJobs.Contains(endedDriver)), Deadline, "the nodes to know the job ended");

        // A creation made by the job's code before it ended, arriving only now: as from a task of the ended job.
        var late = $"late-{run}";
        var node = _cluster.Nodes[0].Runtime;
        var previous = TaskContext.Current;
        TaskContext.Current = new TaskContext(node, "late creator", CancellationToken.None, slot: null) { Job = JobScope.For(endedDriver, _other.Namespace) };
        try
        {
            CreateNamed(late, detached: false, slots: 0);
        }
        finally
        {
            TaskContext.Current = previous;
        }

        await Eventually.TrueAsync(
            async () => (await _other.State.ListActorsAsync(StateListOptions.Where($"name={late}"))).Rows.Any(r => r.State == "DEAD" && r.Node.Length > 0),
            Deadline,
            $"the late creation {late} of the ended job to be listed DEAD");
        Assert.False(JobProbe.Constructed.ContainsKey(late), $"{late}, a creation of a job that had ended, started");
    }

    /// <summary>The state API row of the named actor once a node hosts it alive.</summary>
    private async Task<ActorStateRow> AliveRowAsync(string name)
    {
        ActorStateRow? row = null;
        await Eventually.TrueAsync(
            async () =>
            {
                row = (await _other.State.ListActorsAsync(StateListOptions.Where($"name={name}"))).Rows.FirstOrDefault(r => r.State == "ALIVE" && r.PendingCalls is not null);
                return row is not null;
            },
            Deadline,
            $"actor {name} to be listed alive on its node");
        return row!;
    }
}

/// <summary>The embedded driver (<c>Ray.InitAsync()</c>, one node in this process): an actor a task creates lists the
/// driver's job, and the job's end (the driver's dispose) takes it with the node.</summary>
public sealed class NestedActorEmbeddedJobTests
{
    [Fact]
    public async Task An_actor_created_inside_a_task_of_an_embedded_driver_lists_its_job_id()
    {
        var ray = await Ray.InitAsync();
        try
        {
            var name = await ray.Task(NestedActorJobTests.CreateNamed, $"embedded-{Guid.NewGuid():N}", false, 0.0).Remote();
            ActorStateRow? row = null;
            await Eventually.TrueAsync(
                async () =>
                {
                    row = (await ray.State.ListActorsAsync(StateListOptions.Where($"name={name}"))).Rows.FirstOrDefault(r => r.State == "ALIVE" && r.PendingCalls is not null);
                    return row is not null;
                },
                TimeSpan.FromSeconds(60),
                $"actor {name} to be listed alive");
            Assert.Equal(((RayDriver)ray).JobId, row!.JobId);
        }
        finally
        {
            await ray.DisposeAsync();
        }
    }
}

/// <summary>An actor that records its construction by name and creates named actors from its method.</summary>
public sealed class JobProbe
{
    /// <summary>How many times each name's constructor ran.</summary>
    public static readonly ConcurrentDictionary<string, int> Constructed = new();

    public JobProbe(string name) => Constructed.AddOrUpdate(name, 1, (_, n) => n + 1);

    public string Ping() => "pong";

    public string Create(string name) => NestedActorJobTests.CreateNamed(name, detached: false, slots: 0);
}
