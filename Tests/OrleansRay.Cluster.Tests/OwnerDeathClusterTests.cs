using OrleansRay.Cluster.TestApp;
using OrleansRay.Cluster.Tests.Drivers;
using OrleansRay.Cluster.Tests.Fixtures;
using Xunit;
using Xunit.Abstractions;

namespace OrleansRay.Cluster.Tests;

/// <summary>Ray's OwnerDiedError on real node processes: a task on a worker puts a value and returns the ref, the worker
/// is killed (SIGKILL), and the driver's read of the ref fails with one line that names the dead owner's node and says
/// what to do, without Orleans' exception types or stacks.</summary>
[Collection(ClusterCollection.Name)]
public sealed class OwnerDeathClusterTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    private readonly SharedCluster _shared;
    private readonly ITestOutputHelper _output;

    public OwnerDeathClusterTests(SharedCluster shared, ITestOutputHelper output)
    {
        _shared = shared;
        _output = output;
    }

    public Task InitializeAsync() => _shared.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Reading_an_object_whose_owner_node_was_killed_fails_on_one_line_naming_that_node()
    {
        var cluster = _shared.Cluster;
        await using var ray = await Driver.ConnectAsync(cluster);
        var owner = _shared.Workers[0];
        var ownerId = await Driver.IdOfAsync(ray, owner);
        var inner = await ray.GetAsync(
            ray.Task(Owners.PutHere, 10).Options(new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(ownerId) }).Remote(),
            Deadline);

        await cluster.KillAsync(owner);

        var lost = await Assert.ThrowsAsync<ObjectLostException>(async () => await ray.GetAsync(inner, Deadline));
        _output.WriteLine(lost.Message);
        Assert.DoesNotContain('\n', lost.Message);
        Assert.DoesNotContain("Exception", lost.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Orleans", lost.Message, StringComparison.Ordinal);
        Assert.Contains($"node {ownerId}", lost.Message, StringComparison.Ordinal);
        Assert.Contains("has died", lost.Message, StringComparison.Ordinal);
        Assert.Contains("cannot be rebuilt", lost.Message, StringComparison.Ordinal);
    }
}
