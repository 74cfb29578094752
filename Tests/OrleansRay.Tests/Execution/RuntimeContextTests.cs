using System.Collections.Concurrent;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.Execution;

/// <summary>What code learns about its own invocation from <see cref="RayContext"/> (Ray's runtime context): the task's
/// id and attempt, the actor's id, name and whether it was restarted, and the job, in a driver, a task and an actor.</summary>
[Collection(RayCollection.Name)]
public sealed class RuntimeContextTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private static readonly ConcurrentDictionary<string, ConcurrentQueue<string>> Attempts = new();
    private readonly IRay _ray;

    public RuntimeContextTests(RayFixture fixture) => _ray = fixture.Ray;

    /// <summary>The context as one line: task id | attempt | actor id | actor name | restarted | job id ("-" for null).</summary>
    public static string Describe() =>
        $"{Text(RayContext.TaskId)}|{RayContext.AttemptNumber}|{Text(RayContext.ActorId)}|{RayContext.ActorName ?? "-"}|{RayContext.WasActorRestarted}|{RayContext.JobId ?? "-"}";

    private static string Text(object? value) => value?.ToString() ?? "-";

    public static string DescribeTask(int _) => Describe();

    /// <summary>Records each attempt's context under <paramref name="key"/>; the first attempt fails.</summary>
    public static string FailFirstAttempt(string key)
    {
        var attempts = Attempts.GetOrAdd(key, _ => new());
        attempts.Enqueue(Describe());
        if (attempts.Count == 1)
        {
            throw new InvalidOperationException("the first attempt fails");
        }

        return Describe();
    }

    /// <summary>An actor that keeps what its constructor saw.</summary>
    public sealed class Probe
    {
        private readonly string _constructed = Describe();

        public string Constructed() => _constructed;

        public string Now() => Describe();
    }

    private static string[] Parts(string line) => line.Split('|');

    [Fact]
    public async Task A_task_knows_its_id_its_attempt_and_its_drivers_job()
    {
        // The driver has a job and a node, and no task or actor.
        Assert.Equal(_ray.NodeId, RayContext.NodeId);
        Assert.Null(RayContext.TaskId);
        Assert.Null(RayContext.ActorId);
        Assert.Equal(0, RayContext.AttemptNumber);
        var job = RayContext.JobId ?? string.Empty;
        Assert.NotEqual(string.Empty, job);
        var jobs = await _ray.State.ListJobsAsync().WaitAsync(Deadline);
        Assert.Contains(jobs.Rows, r => r.JobId == job && r.State == "RUNNING");

        var first = Parts(await _ray.GetAsync(_ray.Task(DescribeTask, 1).Remote()).AsTask().WaitAsync(Deadline));
        var second = Parts(await _ray.GetAsync(_ray.Task(DescribeTask, 2).Remote()).AsTask().WaitAsync(Deadline));

        Assert.Equal(["0", "-", "-", "False", job], first[1..]);
        Assert.Equal(["0", "-", "-", "False", job], second[1..]);
        Assert.NotEqual(first[0], second[0]);
        var ids = new[] { TaskId.Parse(first[0]), TaskId.Parse(second[0]) };

        // The ids are the ones the state API lists for the two tasks.
        var name = $"{nameof(RuntimeContextTests)}.{nameof(DescribeTask)}";
        await Eventually.TrueAsync(
            async () =>
            {
                var listed = (await _ray.State.ListTasksAsync(StateListOptions.Where($"name={name}"))).Rows.Select(r => r.TaskId).ToHashSet();
                return ids.All(id => listed.Contains(id.ToString()));
            },
            Deadline,
            "list tasks shows the ids the tasks saw");
    }

    [Fact]
    public async Task A_retried_task_keeps_its_id_and_counts_its_attempts()
    {
        var key = Guid.NewGuid().ToString("N");

        var last = Parts(await _ray.GetAsync(_ray.Task(FailFirstAttempt, key).Options(new TaskOptions { RetryExceptions = true, MaxRetries = 2 }).Remote()).AsTask().WaitAsync(Deadline));

        var attempts = Attempts[key].Select(Parts).ToArray();
        Assert.Equal(2, attempts.Length);
        Assert.Equal(["0", "1"], attempts.Select(a => a[1]));
        Assert.Equal(attempts[0][0], attempts[1][0]);
        Assert.Equal(attempts[1], last);
    }

    [Fact]
    public async Task An_actor_knows_its_id_its_name_its_calls_and_whether_it_was_restarted()
    {
        var name = "probe-" + Guid.NewGuid().ToString("N");
        var probe = _ray.Actor(() => new Probe()).Options(new ActorOptions { Name = name, MaxRestarts = 1 }).Remote();
        var job = RayContext.JobId ?? "(the driver has no job id)";

        var constructed = Parts(await probe.Task(p => p.Constructed()).Remote().AsTask().WaitAsync(Deadline));
        var call1 = Parts(await probe.Task(p => p.Now()).Remote().AsTask().WaitAsync(Deadline));
        var call2 = Parts(await probe.Task(p => p.Now()).Remote().AsTask().WaitAsync(Deadline));

        var actor = probe.ActorId.ToString();
        Assert.Equal(["0", actor, name, "False", job], constructed[1..]);
        Assert.Equal(["0", actor, name, "False", job], call1[1..]);
        Assert.Equal(["0", actor, name, "False", job], call2[1..]);
        Assert.Equal(3, new[] { constructed[0], call1[0], call2[0] }.Where(id => id != "-").Distinct().Count());

        // Killed with a restart allowed: the next instance knows it came after one that died.
        await _ray.KillAsync(probe, noRestart: false);
        string[]? again = null;
        await Eventually.TrueAsync(
            async () =>
            {
                try
                {
                    again = Parts(await probe.Task(p => p.Constructed()).Remote().AsTask().WaitAsync(Deadline));
                    return true;
                }
                catch (ActorDiedException)
                {
                    return false; // a call that met the dying instance
                }
            },
            Deadline,
            "the restarted actor answers");
        Assert.Equal(["0", actor, name, "True", job], again![1..]);
        Assert.Equal(["0", actor, name, "True", job], Parts(await probe.Task(p => p.Now()).Remote().AsTask().WaitAsync(Deadline))[1..]);
        await _ray.KillAsync(probe);
    }

    [Fact]
    public async Task A_detached_actor_belongs_to_no_job_and_an_unnamed_one_has_no_name()
    {
        var detached = _ray.Actor(() => new Probe()).Options(new ActorOptions { Name = "detached-" + Guid.NewGuid().ToString("N"), Lifetime = ActorLifetime.Detached }).Remote();
        var unnamed = _ray.Actor(() => new Probe()).Remote();
        try
        {
            var inDetached = Parts(await detached.Task(p => p.Now()).Remote().AsTask().WaitAsync(Deadline));
            var inUnnamed = Parts(await unnamed.Task(p => p.Now()).Remote().AsTask().WaitAsync(Deadline));

            Assert.Equal(detached.ActorId.ToString(), inDetached[2]);
            Assert.Equal("-", inDetached[5]);
            Assert.Equal(unnamed.ActorId.ToString(), inUnnamed[2]);
            Assert.Equal(["-", RayContext.JobId ?? "(the driver has no job id)"], new[] { inUnnamed[3], inUnnamed[5] });
        }
        finally
        {
            await _ray.KillAsync(detached);
            await _ray.KillAsync(unnamed);
        }
    }
}
