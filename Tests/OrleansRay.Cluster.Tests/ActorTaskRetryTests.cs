using System.Text.Json;
using OrleansRay.Cluster.TestApp;
using OrleansRay.Cluster.Tests.Drivers;
using OrleansRay.Cluster.Tests.Fixtures;
using OrleansRay.Tests.Processes;
using Xunit;

namespace OrleansRay.Cluster.Tests;

/// <summary>Ray's actor task retries on a real cluster (head + 2 workers as processes) with a connected driver: calls
/// queued on a worker killed with kill -9 are re-sent to the restarted actor while <c>MaxTaskRetries</c> lasts, and run
/// there in their original order; without retries, or without a restart, they fail with ActorDiedException saying why.
/// Each test queues its calls behind one that holds the actor on the worker, and kills the worker once the head's
/// dashboard shows every call queued there.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ActorTaskRetryTests : IAsyncLifetime
{
    /// <summary>Calls queued on the worker when it is killed (the number).</summary>
    private const int Calls = 50;

    /// <summary>Membership declares a killed node dead within 10 s; the rest is room for a loaded 2-core machine.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);


    private readonly SharedCluster _shared;

    public ActorTaskRetryTests(SharedCluster shared) => _shared = shared;

    private LocalCluster Cluster => _shared.Cluster;

    public Task InitializeAsync() => _shared.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Calls_queued_on_a_killed_worker_all_run_in_order_on_the_restarted_actor()
    {
        await using var ray = await Driver.ConnectAsync(Cluster);
        var (journal, victimId, calls) = await QueueCallsOnAWorkerAsync(ray, new ActorOptions { MaxRestarts = 1, MaxTaskRetries = 2 });

        // An actor behind a grain interface on the same worker: one call held there (on a gate actor elsewhere), five
        // behind it, all in flight when the worker dies.
        var gates = await ray.CreateActorAsync<TestGrainActors.IGateActor>(new ActorOptions { MaxConcurrency = 100, SchedulingStrategy = SchedulingStrategy.NodeAffinity(await Driver.IdOfAsync(ray, _shared.Workers[0])) });
        var grainActor = await ray.CreateActorAsync<TestGrainActors.ICounterActor>(new ActorOptions { MaxRestarts = 1, MaxTaskRetries = 2, SchedulingStrategy = SchedulingStrategy.NodeAffinity(victimId) });
        Assert.Equal(5, await grainActor.Add(5));
        var held = grainActor.Hold(gates, "kill.0");
        var behind = Enumerable.Range(0, 5).Select(i => grainActor.Append(i)).ToList();
        await Poll.UntilAsync(async () => (await gates.Of("kill"))[0] == 1, TimeSpan.FromSeconds(30), "the held call inside the grain actor", () => "not yet");

        await Cluster.KillAsync(_shared.Workers[1]);

        await gates.Open("kill.0");
        await held.WaitAsync(Deadline);
        await Task.WhenAll(behind).WaitAsync(Deadline);
        Assert.Equal(Enumerable.Range(0, 5).ToList(), await grainActor.Log()); // re-sent in order to a fresh instance
        Assert.Equal(0, await grainActor.Get());
        Assert.NotEqual(victimId.Value, await grainActor.Node());

        var entries = await ray.GetAsync(calls, Deadline);
        // Position k + 1 for call k: every call ran on one fresh instance (the constructor's state), in submission order.
        Assert.Equal(Enumerable.Range(0, Calls), entries.Select(e => e.Index));
        Assert.Equal(Enumerable.Range(1, Calls), entries.Select(e => e.Position));
        var restartedOn = Assert.Single(entries.Select(e => e.Node).Distinct());
        Assert.NotEqual(victimId.Value, restartedOn);
        Assert.Equal(Enumerable.Range(0, Calls), await ray.GetAsync(journal.Task(JournalCalls.Indexes).Remote(), Deadline));
    }

    [Fact]
    public async Task Without_task_retries_calls_queued_on_a_killed_worker_fail_with_ActorDied_and_later_calls_reach_the_restarted_actor()
    {
        await using var ray = await Driver.ConnectAsync(Cluster);
        var (journal, victimId, calls) = await QueueCallsOnAWorkerAsync(ray, new ActorOptions { MaxRestarts = 1, MaxTaskRetries = 0 });

        await Cluster.KillAsync(_shared.Workers[1]);

        foreach (var call in calls)
        {
            var died = await Assert.ThrowsAsync<ActorDiedException>(async () => await ray.GetAsync(call, Deadline));
            Assert.Contains("died", died.Message, StringComparison.Ordinal);
            Assert.Contains("MaxTaskRetries is 0", died.Message, StringComparison.Ordinal);
        }

        var next = await ray.GetAsync(journal.Task(JournalCalls.Append, Calls).Remote(), Deadline);
        Assert.NotEqual(victimId.Value, next.Node);
        Assert.Equal(1, next.Position); // none of the lost calls ran on the restarted actor
    }

    [Fact]
    public async Task Calls_re_sent_to_an_actor_with_no_restarts_left_fail_with_ActorDied_saying_why()
    {
        await using var ray = await Driver.ConnectAsync(Cluster);
        var (_, _, calls) = await QueueCallsOnAWorkerAsync(ray, new ActorOptions { MaxRestarts = 0, MaxTaskRetries = 2 });

        await Cluster.KillAsync(_shared.Workers[1]);

        foreach (var call in calls)
        {
            var died = await Assert.ThrowsAsync<ActorDiedException>(async () => await ray.GetAsync(call, Deadline));
            Assert.Contains("no restarts left", died.Message, StringComparison.Ordinal);
        }
    }

    /// <summary>Creates a <see cref="Journal"/> on the second worker with <paramref name="options"/> and makes
    /// <see cref="Calls"/> calls: the first holds the actor there, the others queue behind it. Returns once the head's
    /// dashboard shows all of them on that worker (queued or running), so a kill now loses every one.</summary>
    private async Task<(ActorHandle<Journal> Journal, NodeId VictimId, ObjectRef<JournalEntry>[] Calls)> QueueCallsOnAWorkerAsync(IRay ray, ActorOptions options)
    {
        var victimId = await Driver.IdOfAsync(ray, _shared.Workers[1]);
        options.SchedulingStrategy = SchedulingStrategy.NodeAffinity(victimId, soft: true);
        var journal = ray.Actor(() => new Journal()).Options(options).Remote();
        var calls = new ObjectRef<JournalEntry>[Calls];
        calls[0] = journal.Task(JournalCalls.HoldOnThenAppend, 0, victimId.Value).Remote();
        for (var i = 1; i < Calls; i++)
        {
            calls[i] = journal.Task(JournalCalls.Append, i).Remote();
        }

        var row = string.Empty;
        await Poll.UntilAsync(
            async () =>
            {
                row = await ActorRowAsync(journal.ActorId);
                using var json = JsonDocument.Parse(row);
                return json.RootElement.ValueKind == JsonValueKind.Object
                    && json.RootElement.GetProperty("node").GetString() == victimId.Value
                    && json.RootElement.GetProperty("pendingCalls").ValueKind == JsonValueKind.Number
                    && json.RootElement.GetProperty("pendingCalls").GetInt32() == Calls;
            },
            TimeSpan.FromSeconds(45),
            $"the dashboard to show {Calls} calls of the actor queued or running on {victimId}",
            () => row);
        return (journal, victimId, calls);
    }

    /// <summary>The actor's row of /api/actors as JSON text ("null" while no node lists it).</summary>
    private async Task<string> ActorRowAsync(ActorId actorId)
    {
        using var page = JsonDocument.Parse(await Cluster.GetDashboardAsync("/api/actors"));
        var id = actorId.ToString();
        foreach (var row in page.RootElement.GetProperty("actors").EnumerateArray())
        {
            if (row.GetProperty("actorId").GetString() == id)
            {
                return row.GetRawText();
            }
        }

        return "null";
    }
}
