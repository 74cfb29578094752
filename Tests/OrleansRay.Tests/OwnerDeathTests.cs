using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>An object whose owner was a node that left (Ray's OwnerDiedError), with two nodes in this process and a
/// connected driver: the driver's read fails with one line that names the owner's node and says what to do, without
/// Orleans' exception types or stacks.</summary>
public sealed class OwnerDeathTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private InProcessCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await InProcessCluster.StartAsync((2, null), (2, null));

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    /// <summary>Puts a value on the node it runs on (that node's runtime owns it) and returns the ref.</summary>
    public static async Task<ObjectRef<int[]>> PutHere(int n) => await Ray.Current.PutAsync(Enumerable.Range(0, n).ToArray());

    [Fact]
    public async Task Reading_an_object_whose_owner_node_left_fails_on_one_line_naming_the_node_and_what_to_do()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        var owner = _cluster.Nodes[1];
        var ownerId = owner.NodeId;
        var outer = ray.Task(PutHere, 10)
            .Options(new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(ownerId) })
            .Remote();
        var inner = await ray.GetAsync(outer, Deadline);

        await _cluster.StopNodeAsync(owner);

        var lost = await Assert.ThrowsAsync<ObjectLostException>(async () => await ray.GetAsync(inner, Deadline));
        var message = lost.Message;
        Assert.DoesNotContain('\n', message);
        Assert.DoesNotContain("Exception", message, StringComparison.Ordinal);
        Assert.DoesNotContain("Orleans", message, StringComparison.Ordinal);
        Assert.Contains(inner.Id.ToString(), message, StringComparison.Ordinal);
        Assert.Contains($"node {ownerId}", message, StringComparison.Ordinal);
        Assert.Contains("has died", message, StringComparison.Ordinal);
        Assert.Contains("cannot be rebuilt", message, StringComparison.Ordinal);
    }
}
