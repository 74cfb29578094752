using OrleansRay.Tests.Actors;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>Two <c>Ray.InitAsync()</c> in one process are two clusters (each embedded node is its own): a handle made
/// through one is refused by the other's <c>KillAsync</c>, instead of a kill by id that did nothing there and left the
/// actor alive. Handles of the same cluster (a task's, a lookup's) are still killed.</summary>
public sealed class ForeignHandleTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task KillAsync_of_another_clusters_handle_is_refused_and_the_actor_lives_on()
    {
        await using var r1 = await Ray.InitAsync(new RayOptions { NumCpus = 1, Namespace = "foreign-1" });
        await using var r2 = await Ray.InitAsync(new RayOptions { NumCpus = 1, Namespace = "foreign-2" });
        var h1 = r1.Actor(() => new Counter(0)).Remote();
        Assert.Equal(1, await r1.GetAsync(h1.Task(c => c.Increment()).Remote(), Deadline));

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => r2.KillAsync(h1));
        Assert.Equal("actor", refused.ParamName);
        Assert.Contains(h1.ToString(), refused.Message, StringComparison.Ordinal);
        Assert.Contains("belongs to another cluster", refused.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => r2.KillAsync(h1, noRestart: false));

        // Still alive, state kept; its own IRay kills it.
        Assert.Equal(2, await r1.GetAsync(h1.Task(c => c.Increment()).Remote(), Deadline));
        await r1.KillAsync(h1);
        await Assert.ThrowsAsync<ActorDiedException>(async () => await r1.GetAsync(h1.Task(c => c.Increment()).Remote(), Deadline));
    }

    [Fact]
    public async Task Handles_of_the_same_cluster_from_a_lookup_or_a_task_are_killed()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { NumCpus = 2, Namespace = "foreign-same" });
        var created = ray.Actor(() => new Counter(0)).Options(new ActorOptions { Name = "looked-up" }).Remote();
        Assert.Equal(1, await ray.GetAsync(created.Task(c => c.Increment()).Remote(), Deadline));
        var found = await ray.GetActorAsync<Counter>("looked-up");
        await ray.KillAsync(found);
        await Assert.ThrowsAsync<ActorDiedException>(async () => await ray.GetAsync(created.Task(c => c.Increment()).Remote(), Deadline));

        // A handle made inside a task (through the node's IRay, not the driver's): same cluster, so the kill goes through.
        var fromTask = await ray.GetAsync(ray.Task(MakeCounter).Remote(), Deadline);
        Assert.Equal(1, await ray.GetAsync(fromTask.Task(c => c.Increment()).Remote(), Deadline));
        await ray.KillAsync(fromTask);
        await Assert.ThrowsAsync<ActorDiedException>(async () => await ray.GetAsync(fromTask.Task(c => c.Increment()).Remote(), Deadline));
    }

    public static ActorHandle<Counter> MakeCounter() => Ray.Current.Actor(() => new Counter(0)).Remote();
}
