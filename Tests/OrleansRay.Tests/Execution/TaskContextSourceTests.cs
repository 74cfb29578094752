using System.Collections.Concurrent;
using OrleansRay.Execution;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.Execution;

/// <summary>A plain task's context is made only when its code asks (<see cref="ITaskContextSource"/>): what the code gets
/// is the same as before, one context per attempt, and the job's scope (<see cref="JobScope"/>) is shared, not made per
/// task.</summary>
[Collection(RayCollection.Name)]
public sealed class TaskContextSourceTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private static readonly ConcurrentDictionary<string, ConcurrentQueue<TaskContext>> Seen = new();
    private readonly IRay _ray;

    public TaskContextSourceTests(RayFixture fixture) => _ray = fixture.Ray;

    public static string Describe(string key)
    {
        var first = TaskContext.Current!;
        Seen.GetOrAdd(key, _ => new()).Enqueue(first);
        return $"{RayContext.IsInTask}|{RayContext.FunctionName}|{first.Namespace}|{ReferenceEquals(first, TaskContext.Current)}|{first.Slot is not null}";
    }

    public static int FailFirstAttempt(string key)
    {
        var attempts = Seen.GetOrAdd(key, _ => new());
        attempts.Enqueue(TaskContext.Current!);
        if (attempts.Count == 1)
        {
            throw new InvalidOperationException("first attempt fails");
        }

        return attempts.Count;
    }

    [Fact]
    public async Task A_plain_task_that_asks_gets_its_name_namespace_slot_and_one_context()
    {
        var key = Guid.NewGuid().ToString();

        var answer = await _ray.GetAsync(_ray.Task(Describe, key).Remote()).AsTask().WaitAsync(Deadline);

        Assert.Equal($"True|{nameof(TaskContextSourceTests)}.{nameof(Describe)}|tests|True|True", answer);
        Assert.False(TaskContext.IsSet); // the driver's flow is not inside the task
    }

    [Fact]
    public async Task Each_attempt_of_a_retried_task_gets_a_context_of_its_own()
    {
        var key = Guid.NewGuid().ToString();

        var attempts = await _ray.GetAsync(_ray.Task(FailFirstAttempt, key).Options(new TaskOptions { RetryExceptions = true, MaxRetries = 2 }).Remote()).AsTask().WaitAsync(Deadline);

        Assert.Equal(2, attempts);
        var contexts = Seen[key].ToArray();
        Assert.Equal(2, contexts.Length);
        Assert.NotSame(contexts[0], contexts[1]);
        Assert.All(contexts, c => Assert.Equal("tests", c.Namespace));
    }

    [Fact]
    public void A_job_scope_is_shared_by_equal_jobs_and_kept_apart_for_others()
    {
        var driver = WorkerId.NewId();
        var other = WorkerId.NewId();

        var scope = JobScope.For(driver, "ns");

        Assert.Same(scope, JobScope.For(driver, "ns"));
        Assert.Equal(driver, scope.Driver);
        Assert.Equal("ns", scope.Namespace);
        Assert.NotSame(scope, JobScope.For(driver, "other"));
        Assert.NotSame(scope, JobScope.For(other, "ns"));
        Assert.Equal(other, JobScope.For(other, "ns").Driver);
        Assert.Same(JobScope.None, JobScope.For(default, null));
    }
}
