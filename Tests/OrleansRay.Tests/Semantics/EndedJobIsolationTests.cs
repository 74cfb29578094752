using System.Collections.Concurrent;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.Semantics;

/// <summary>A job's end cancels its tasks, and only its: those of another job running at the same time and those a
/// detached actor of the ended job submits run on (Ray: a detached actor outlives its job), while those a non-detached
/// actor of the job submits end with it. Two in-process nodes and two connected drivers (two jobs) in this process, so
/// the test sees each task's cancellation token.</summary>
public sealed class EndedJobIsolationTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    /// <summary>The token of each running <see cref="HoldUntilCancelled"/> and the node it runs on, by key.</summary>
    private static readonly ConcurrentDictionary<string, (CancellationToken Token, NodeId Node)> Running = new();

    /// <summary>Ends every <see cref="HoldUntilCancelled"/> still waiting when the test is done (the class has one test:
    /// once cancelled, it stays so).</summary>
    private static readonly CancellationTokenSource Release = new();

    private InProcessCluster _cluster = null!;
    private IRay _ended = null!;
    private IRay _other = null!;

    public async Task InitializeAsync()
    {
        _cluster = await InProcessCluster.StartAsync((4, null), (4, null));
        _ended = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        _other = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
    }

    public async Task DisposeAsync()
    {
        Release.Cancel();
        await _ended.DisposeAsync();
        await _other.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    /// <summary>Registers its cancellation token under <paramref name="key"/>, then holds its CPU until cancelled (or the
    /// test is done); returns whether it was cancelled.</summary>
    public static bool HoldUntilCancelled(string key)
    {
        var token = RayContext.CancellationToken;
        Running[key] = (token, RayContext.NodeId);
        WaitHandle.WaitAny([token.WaitHandle, Release.Token.WaitHandle], Deadline);
        return token.IsCancellationRequested;
    }

    [Fact]
    public async Task A_jobs_end_cancels_its_tasks_and_its_actors_but_not_another_jobs_or_its_detached_actors()
    {
        var run = Guid.NewGuid().ToString("N");
        string Key(string what) => $"{run}-{what}";

        var ownTask = _ended.Task(HoldUntilCancelled, Key("own task")).Remote();
        var otherJobsTask = _other.Task(HoldUntilCancelled, Key("other job's task")).Remote();
        var detached = _ended.Actor(() => new TaskSpawner()).Options(new ActorOptions { Lifetime = ActorLifetime.Detached }).Remote();
        var nonDetached = _ended.Actor(() => new TaskSpawner()).Remote();
        await detached.Task((s, key) => s.Spawn(key), Key("detached actor's task")).Remote();
        await nonDetached.Task((s, key) => s.Spawn(key), Key("actor's task")).Remote();
        string[] all = [Key("own task"), Key("other job's task"), Key("detached actor's task"), Key("actor's task")];
        await Eventually.TrueAsync(() => all.All(Running.ContainsKey), Deadline, "the four tasks to run");

        var endedDriver = ((RayInstance)_ended).Runtime.WorkerId;
        await _ended.DisposeAsync();

        await Eventually.TrueAsync(
            () => Running[Key("own task")].Token.IsCancellationRequested && Running[Key("actor's task")].Token.IsCancellationRequested,
            Deadline,
            "the ended job's task and its actor's task to be cancelled");
        // The nodes of the two others have applied the end (they would have cancelled them with it).
        var survivors = new[] { Running[Key("other job's task")], Running[Key("detached actor's task")] };
        await Eventually.TrueAsync(
            () => _cluster.Nodes.Where(n => survivors.Any(s => s.Node == n.NodeId)).All(n => n.Runtime.Scheduler.FinishedJobs.Contains(endedDriver)),
            Deadline,
            "the nodes running the other two tasks to know the job ended");
        Assert.False(survivors[0].Token.IsCancellationRequested, "another job's task was cancelled");
        Assert.False(survivors[1].Token.IsCancellationRequested, "the detached actor's task was cancelled");

        await _other.CancelAsync(otherJobsTask, force: true);
        GC.KeepAlive(ownTask);
    }
}

/// <summary>An actor that submits a <see cref="EndedJobIsolationTests.HoldUntilCancelled"/> task and keeps its ref.</summary>
public sealed class TaskSpawner
{
    private readonly List<ObjectRef<bool>> _spawned = [];

    public string Spawn(string key)
    {
        _spawned.Add(Ray.Current.Task(EndedJobIsolationTests.HoldUntilCancelled, key).Remote());
        return key;
    }
}
