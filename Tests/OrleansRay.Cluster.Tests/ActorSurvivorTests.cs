using OrleansRay.Cluster.TestApp;
using OrleansRay.Cluster.Tests.Drivers;
using OrleansRay.Cluster.Tests.Fixtures;
using OrleansRay.Tests.Processes;
using Xunit;
using Xunit.Abstractions;

namespace OrleansRay.Cluster.Tests;

/// <summary>Ray never loses an actor whose own node is alive: on a real cluster (head + 2 workers as processes), killing
/// one worker with kill -9 must leave every actor on the head and on the other worker as it was, state and all, with no
/// restart. (With Orleans' default in-cluster grain directory, the survivors deactivated every activation whose directory
/// entry the dead node held, about a third of them; ADR 0010.)</summary>
[Collection(ClusterCollection.Name)]
public sealed class ActorSurvivorTests : IAsyncLifetime
{
    private readonly SharedCluster _shared;
    private readonly ITestOutputHelper _output;

    public ActorSurvivorTests(SharedCluster shared, ITestOutputHelper output)
    {
        _shared = shared;
        _output = output;
    }

    private LocalCluster Cluster => _shared.Cluster;

    public Task InitializeAsync() => _shared.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public Task Actors_on_surviving_nodes_keep_their_state_without_a_restart_when_another_worker_is_killed() =>
        ActorSurvivors.AssertKeptAsync(Cluster, _shared.Workers[0], _shared.Workers[1], _output);
}

/// <summary><see cref="ActorSurvivorTests"/> with <c>--storage</c> on a throwaway PostgreSQL: membership through the
/// ADO.NET clustering table instead of the head as the primary node.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ActorSurvivorPostgresTests
{
    private readonly PostgresServer _server;
    private readonly ITestOutputHelper _output;

    public ActorSurvivorPostgresTests(PostgresServer server, ITestOutputHelper output)
    {
        _server = server;
        _output = output;
    }

    [Fact]
    public async Task On_PostgreSQL_actors_on_surviving_nodes_keep_their_state_without_a_restart_when_another_worker_is_killed()
    {
        // The collection's shared PostgreSQL cluster, back to head and two workers all alive (the killed one is replaced
        // when the next test asks for it).
        var shared = await _server.SharedClusterAsync();
        await ActorSurvivors.AssertKeptAsync(shared.Cluster, shared.Workers[0], shared.Workers[1], _output);
    }
}

/// <summary>The check both clusters run: actors pinned to the head and to <c>keep</c>, a kill -9 of <c>victim</c>.</summary>
internal static class ActorSurvivors
{
    /// <summary>Actors per surviving node.</summary>
    private const int ActorsPerNode = 15;

    /// <summary>Increments before the kill; every actor answers <c>Increments + 1</c> to the first call after it.</summary>
    private const int Increments = 3;

    /// <summary>Far above a prompt answer (membership declares a killed node dead within 10 s), far below a hang.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    public static async Task AssertKeptAsync(LocalCluster cluster, ClusterNode keep, ClusterNode victim, ITestOutputHelper output)
    {
        await using var ray = await Driver.ConnectAsync(cluster);
        var victimId = await Driver.IdOfAsync(ray, victim);
        var homes = new[] { await Driver.IdOfAsync(ray, cluster.Head), await Driver.IdOfAsync(ray, keep) };

        // Default options: MaxRestarts = 0, so an actor whose activation was lost answers ActorDied ("no restarts
        // left"); a restart with restarts allowed would show as a count back at 1.
        var actors = homes
            .SelectMany(home => Enumerable.Range(0, ActorsPerNode).Select(_ => (Home: home, Actor: ray.Actor(() => new Counter())
                .Options(new ActorOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(home) })
                .Remote())))
            .ToList();
        var placed = await ray.GetAsync(actors.Select(a => a.Actor.Task(CounterCalls.Node).Remote()), Deadline);
        Assert.Equal(actors.Select(a => a.Home.Value), placed);
        for (var i = 1; i <= Increments; i++)
        {
            var counts = await ray.GetAsync(actors.Select(a => a.Actor.Task(CounterCalls.Increment).Remote()), Deadline);
            Assert.All(counts, c => Assert.Equal(i, c));
        }

        await cluster.KillAsync(victim);
        ClusterStatus? status = null;
        await Poll.UntilAsync(
            async () => (status = await cluster.StatusAsync()).Of(victim) is { IsAlive: false },
            Deadline,
            $"status to show {victim} dead",
            () => status?.Text ?? "(no status)");
        await Poll.UntilAsync(
            async () => (await ray.NodesAsync()).Any(n => n.Id == victimId && !n.IsAlive),
            Deadline,
            $"the driver to see {victimId.Value} dead");

        // Every actor, called one by one so a lost one is named with its node.
        var lost = new List<string>();
        for (var i = 0; i < actors.Count; i++)
        {
            var (home, actor) = actors[i];
            try
            {
                var count = await ray.GetAsync(actor.Task(CounterCalls.Increment).Remote(), Deadline);
                var node = await ray.GetAsync(actor.Task(CounterCalls.Node).Remote(), Deadline);
                if (count != Increments + 1 || node != home.Value)
                {
                    lost.Add($"actor {i} (on {home.Value}): count {count}, expected {Increments + 1}, now on {node}");
                }
            }
            catch (ActorDiedException ex)
            {
                lost.Add($"actor {i} (on {home.Value}) died: {ex.Message}");
            }
        }

        foreach (var line in lost)
        {
            output.WriteLine(line);
        }

        Assert.True(lost.Count == 0, $"{lost.Count} of {actors.Count} actors on surviving nodes were lost when {victimId.Value} was killed:\n{string.Join('\n', lost)}");
    }
}
