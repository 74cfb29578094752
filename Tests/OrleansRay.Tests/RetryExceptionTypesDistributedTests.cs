using OrleansRay.Tests.Fixtures;
using OrleansRay.Tests.Functions;
using Xunit;

namespace OrleansRay.Tests;

/// <summary><see cref="TaskOptions.RetryExceptionTypes"/> when the task runs on another node than its owner: the listed
/// types travel with it by full name, and the node running it decides the retries. Two nodes in this process and a
/// connected driver (which owns the tasks and runs none); each task is pinned to the second node.</summary>
public sealed class RetryExceptionTypesDistributedTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private InProcessCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = await InProcessCluster.StartAsync((2, null), (2, null));
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    /// <summary>Throws an <see cref="IOException"/> on its first two attempts (counted under <paramref name="key"/>), then
    /// returns the node it ran on.</summary>
    public static string FailTwiceThenTellNode(string key)
    {
        var n = Counters.Increment(key);
        return n <= 2 ? throw new IOException($"transient failure {n}") : RayContext.NodeId.Value;
    }

    private TaskOptions OnSecondNode(params Type[] retried)
    {
        var options = new TaskOptions { MaxRetries = 3, SchedulingStrategy = SchedulingStrategy.NodeAffinity(_cluster.Nodes[1].NodeId) };
        foreach (var type in retried)
        {
            options.RetryExceptionTypes.Add(type);
        }

        return options;
    }

    [Fact]
    public async Task A_task_on_another_node_is_retried_only_for_the_listed_types()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        var listed = Guid.NewGuid().ToString();
        var unlisted = Guid.NewGuid().ToString();

        var retried = ray.Task(FailTwiceThenTellNode, listed).Options(OnSecondNode(typeof(SystemException))).Remote(); // IOException's base
        var failed = ray.Task(FailTwiceThenTellNode, unlisted).Options(OnSecondNode(typeof(TimeoutException))).Remote();

        Assert.Equal(_cluster.Nodes[1].NodeId.Value, await ray.GetAsync(retried, Deadline));
        Assert.Equal(3, Counters.Get(listed));
        var ex = await Assert.ThrowsAsync<RayTaskException>(async () => await ray.GetAsync(failed, Deadline));
        Assert.True(ex.Is<IOException>());
        Assert.Contains("transient failure 1", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, Counters.Get(unlisted));
    }
}
