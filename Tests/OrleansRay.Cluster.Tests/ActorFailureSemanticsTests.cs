using OrleansRay.Cluster.TestApp;
using OrleansRay.Cluster.Tests.Drivers;
using OrleansRay.Cluster.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Cluster.Tests;

/// <summary>Issue 9, on a real cluster (head + 2 workers as processes) with a connected driver: an actor that is dead,
/// because its worker was killed with kill -9 or because no node could create it, answers every call with
/// ActorDiedException at once, saying why. A hang fails through the Get deadline.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ActorFailureSemanticsTests : IAsyncLifetime
{
    /// <summary>Far above a prompt answer (membership declares a killed node dead within 10 s), far below a hang.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(45);

    private readonly SharedCluster _shared;

    public ActorFailureSemanticsTests(SharedCluster shared) => _shared = shared;

    private LocalCluster Cluster => _shared.Cluster;

    public Task InitializeAsync() => _shared.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Every_call_of_an_actor_without_restarts_whose_worker_was_killed_raises_ActorDied()
    {
        await using var ray = await Driver.ConnectAsync(Cluster);
        var victim = _shared.Workers[1];
        var victimId = await Driver.IdOfAsync(ray, victim);
        var counter = ray.Actor(() => new Counter())
            .Options(new ActorOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(victimId, soft: true) })
            .Remote();
        Assert.Equal(victimId.Value, await ray.GetAsync(counter.Task(CounterCalls.Node).Remote(), Deadline));

        await Cluster.KillAsync(victim);
        for (var i = 0; i < 3; i++)
        {
            var died = await Assert.ThrowsAsync<ActorDiedException>(async () => await ray.GetAsync(counter.Task(CounterCalls.Increment).Remote(), Deadline));
            Assert.Contains("died", died.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Every_call_of_an_actor_whose_class_no_node_has_raises_ActorDied_with_the_cause()
    {
        await using var ray = await Driver.ConnectAsync(Cluster);

        // NotLoadedActor lives in this test assembly, which no node loaded (the nodes have only the TestApp).
        var actor = ray.Actor(() => new NotLoadedActor()).Remote();
        for (var i = 0; i < 2; i++)
        {
            var died = await Assert.ThrowsAsync<ActorDiedException>(async () => await ray.GetAsync(actor.Task(NotLoadedActor.Call).Remote(), Deadline));
            Assert.Contains(typeof(NotLoadedActor).FullName!, died.Message, StringComparison.Ordinal);
        }
    }
}

/// <summary>An actor class only the driver has.</summary>
public sealed class NotLoadedActor
{
    public int Get() => 1;

    /// <summary>Get as a remote actor method.</summary>
    public static int Call(NotLoadedActor actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return actor.Get();
    }
}
