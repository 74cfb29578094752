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

    /// <summary>A bound for calls to an actor already known dead: a hang detector (the bug answered after 60 s), far
    /// above the milliseconds such an answer takes even on a loaded machine.</summary>
    private static readonly TimeSpan KnownDeadDeadline = TimeSpan.FromSeconds(15);

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
        // The first call may wait for the node's death to be declared; once the actor is known dead, every later call
        // is answered at once (they used to hang until a 60 s timeout): a GetTimeoutException fails the test.
        var first = await Assert.ThrowsAsync<ActorDiedException>(async () => await ray.GetAsync(counter.Task(CounterCalls.Increment).Remote(), Deadline));
        Assert.Contains("died", first.Message, StringComparison.Ordinal);
        for (var i = 0; i < 3; i++)
        {
            var died = await Assert.ThrowsAsync<ActorDiedException>(async () => await ray.GetAsync(counter.Task(CounterCalls.Increment).Remote(), KnownDeadDeadline));
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

    [Fact]
    public async Task Every_call_of_an_actor_whose_constructor_argument_no_node_can_deserialize_raises_ActorDied_with_the_cause()
    {
        await using var ray = await Driver.ConnectAsync(Cluster);

        // The class is on every node (the TestApp); its argument's type lives in this test assembly, which no node has.
        var actor = ray.Actor(() => new Box(new DriverOnlyValue { N = 7 })).Remote();
        for (var i = 0; i < 2; i++)
        {
            var died = await Assert.ThrowsAsync<ActorDiedException>(async () => await ray.GetAsync(actor.Task(Box.TypeOf).Remote(), Deadline));
            Assert.Contains(nameof(DriverOnlyValue), died.Message, StringComparison.Ordinal);
        }
    }
}

/// <summary>A value whose type only the driver has (Orleans serializes it at the driver; no node can read it).</summary>
[GenerateSerializer]
public sealed class DriverOnlyValue
{
    [Id(0)] public int N { get; set; }
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
