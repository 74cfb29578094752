using Xunit;
using static OrleansRay.Tests.Functions.TestFunctions;

namespace OrleansRay.Tests;

/// <summary>Two <c>Ray.InitAsync()</c> in one process are two embedded clusters. A ref made through one that was then
/// disposed is an object whose owner died: the other, still alive, says so (Ray's OwnerDiedError, as a driver of a CLI
/// cluster gets it) when the ref is an argument of a task or is read, instead of waiting for an object that will never
/// come or saying that its own node has shut down.</summary>
public sealed class DisposedOwnerTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_task_whose_argument_was_made_by_a_disposed_IRay_fails_because_its_owner_died()
    {
        await using var alive = await Ray.InitAsync(new RayOptions { NumCpus = 1, Namespace = "disposed-owner-arg-1" });
        var gone = await Ray.InitAsync(new RayOptions { NumCpus = 1, Namespace = "disposed-owner-arg-2" });
        ObjectRef<int> orphan;
        try
        {
            orphan = gone.Task(Square, 3).Remote();
            Assert.Equal(9, await gone.GetAsync(orphan, Deadline));
        }
        finally
        {
            await gone.DisposeAsync();
        }

        var lost = await Assert.ThrowsAsync<ObjectLostException>(async () => await alive.GetAsync(alive.Task(Sum2, orphan, 1).Remote(), Deadline));
        AssertOwnerDied(lost, orphan);
    }

    [Fact]
    public async Task Reading_a_ref_of_a_disposed_IRay_on_a_live_one_fails_because_its_owner_died()
    {
        await using var alive = await Ray.InitAsync(new RayOptions { NumCpus = 1, Namespace = "disposed-owner-get-1" });
        var gone = await Ray.InitAsync(new RayOptions { NumCpus = 1, Namespace = "disposed-owner-get-2" });
        ObjectRef<int> orphan;
        ObjectRef<double[]> array;
        try
        {
            orphan = await gone.PutAsync(5);
            array = await gone.PutAsync(new[] { 1.0, 2.0 });
        }
        finally
        {
            await gone.DisposeAsync();
        }

        AssertOwnerDied(await Assert.ThrowsAsync<ObjectLostException>(async () => await alive.GetAsync(orphan)), orphan);
        AssertOwnerDied(await Assert.ThrowsAsync<ObjectLostException>(async () => await alive.GetAsync(orphan, Deadline)), orphan);
        AssertOwnerDied(await Assert.ThrowsAsync<ObjectLostException>(() => alive.GetAsync([orphan], Deadline)), orphan);
        AssertOwnerDied(await Assert.ThrowsAsync<ObjectLostException>(async () => (await alive.GetBufferAsync(array)).Dispose()), array);

        // As Ray's ray.wait: an object lost with its owner is ready (its get raises).
        var waited = await alive.WaitAsync([orphan], timeout: Deadline);
        Assert.Equal([orphan], waited.Ready);

        // Its own, disposed IRay's refs still say that their node has shut down.
        var own = await Assert.ThrowsAsync<ObjectDisposedException>(async () => await orphan);
        Assert.Equal("The OrleansRay node has shut down.", own.Message);
    }

    private static void AssertOwnerDied(ObjectLostException lost, ObjectRef orphan)
    {
        Assert.Contains(orphan.Id.ToString(), lost.Message, StringComparison.Ordinal);
        Assert.Contains("has died", lost.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', lost.Message);
    }
}
