using OrleansRay.Grains;
using OrleansRay.Internal;
using OrleansRay.Tests.Actors;
using OrleansRay.Tests.Fixtures;
using OrleansRay.Tests.Functions;
using Xunit;

namespace OrleansRay.Tests.Semantics;

/// <summary>Issue 9's actor semantics with a connected driver on two in-process nodes: here a call's object arguments
/// are resolved by the driver before the call travels, and results come back one-way, so these paths differ from one
/// embedded node. (Killed processes: OrleansRay.Cluster.Tests, ActorFailureSemanticsTests.)</summary>
public sealed class ActorDistributedSemanticsTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private InProcessCluster _cluster = null!;
    private IRay _ray = null!;

    public async Task InitializeAsync()
    {
        _cluster = await InProcessCluster.StartAsync((4, null), (2, null));
        _ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
    }

    public async Task DisposeAsync()
    {
        await _ray.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task A_cancelled_call_waiting_for_its_argument_never_runs_and_the_next_call_runs_meanwhile()
    {
        var recorder = await ActorCancelScenarios.CancelACallWaitingForItsArgumentAsync(_ray, Deadline);
        Assert.Equal(new[] { 2 }, await _ray.GetAsync(recorder.Task(r => r.Seen()).Remote(), Deadline));
    }

    [Fact]
    public async Task Two_tasks_on_one_node_are_two_submitters_so_one_waiting_for_an_argument_does_not_hold_up_the_other()
    {
        var gate = Guid.NewGuid().ToString();
        var onFirstNode = new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(_cluster.Nodes[0].NodeId) };
        var recorder = _ray.Actor(() => new Recorder()).Remote();
        try
        {
            var waiting = _ray.Task(ActorSemanticsFunctions.RecordWhenOpen, recorder, gate).Options(onFirstNode).Remote();
            Assert.True(Gates.Get(gate + ".called").Wait(Deadline), "the first task made its call");
            var other = _ray.Task(ActorSemanticsFunctions.RecordFromTask, recorder, 100).Options(onFirstNode).Remote();
            Assert.Equal(1, await _ray.GetAsync(other, Deadline));
            Gates.Get(gate).Set();
            Assert.Equal(2, await _ray.GetAsync(waiting, Deadline));
            Assert.Equal(new[] { 100, 1 }, await _ray.GetAsync(recorder.Task(r => r.Seen()).Remote(), Deadline));
        }
        finally
        {
            Gates.Get(gate).Set();
        }
    }

    [Fact]
    public async Task Cancelling_a_running_call_cancels_its_RayContext_token_on_the_actors_node()
    {
        await ActorCancelScenarios.CancelARunningCallAsync(_ray, Deadline);
    }

    [Fact]
    public async Task Every_call_of_an_actor_no_node_can_create_raises_ActorDied_with_the_cause()
    {
        // A class the nodes cannot load: its descriptor names an assembly none of them has.
        var runtime = IRayRuntimeAccess.Of(_ray);
        var actorId = ActorId.NewId();
        _ = runtime.Actors.Create(new ActorCreationSpec
        {
            ActorId = actorId,
            Constructor = new FunctionDescriptor("NoSuchAssembly", "NoSuch.Actor", ".ctor", 0),
            Owner = runtime.WorkerId,
            ClassName = "NoSuch.Actor",
        });
        var actor = new ActorHandle<Counter>(actorId, "NoSuch.Actor", _ray);
        for (var i = 0; i < 2; i++)
        {
            var died = await Assert.ThrowsAsync<ActorDiedException>(async () => await _ray.GetAsync(actor.Task(c => c.Get()).Remote(), Deadline));
            Assert.Contains("could not be created", died.Message, StringComparison.Ordinal);
        }
    }
}
