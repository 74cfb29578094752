using OrleansRay.Grains;
using OrleansRay.Internal;
using OrleansRay.Tests.Actors;
using OrleansRay.Tests.Fixtures;
using OrleansRay.Tests.Functions;
using Xunit;

namespace OrleansRay.Tests.Semantics;

/// <summary>Ray's actor semantics under stress (issue 9), on one embedded node: ordering per submitter, kill and cancel
/// of queued and running calls, creation failures. Hangs fail through deadlines (GetTimeoutException), never stall the
/// run; gates, not sleeps, order the steps.</summary>
[Collection(RayCollection.Name)]
public sealed class ActorSemanticsTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly IRay _ray;

    public ActorSemanticsTests(RayFixture fixture) => _ray = fixture.Ray;

    [Fact]
    public async Task A_driver_call_waiting_for_its_argument_does_not_hold_up_a_task_calling_the_same_actor()
    {
        var gate = Guid.NewGuid().ToString();
        var recorder = _ray.Actor(() => new Recorder()).Remote();
        try
        {
            var slow = _ray.Task(ActorSemanticsFunctions.ValueWhenOpen, gate, 1).Remote();
            var fromDriver = recorder.Task((r, v) => r.Record(v), slow).Remote();
            // Another submitter (a task) calls meanwhile: Ray orders per submitter, so its call runs now.
            var fromTask = _ray.Task(ActorSemanticsFunctions.RecordFromTask, recorder, 100).Remote();
            Assert.Equal(1, await _ray.GetAsync(fromTask, Deadline));
            Gates.Get(gate).Set();
            Assert.Equal(2, await _ray.GetAsync(fromDriver, Deadline));
            Assert.Equal(new[] { 100, 1 }, await _ray.GetAsync(recorder.Task(r => r.Seen()).Remote(), Deadline));
        }
        finally
        {
            Gates.Get(gate).Set();
        }
    }

    [Fact]
    public async Task A_task_calling_the_actor_whose_driver_call_waits_for_that_task_does_not_deadlock()
    {
        var recorder = _ray.Actor(() => new Recorder()).Remote();
        var task = _ray.Task(ActorSemanticsFunctions.RecordFromTask, recorder, 100).Remote();
        var fromDriver = recorder.Task((r, v) => r.Record(v), task).Remote();
        Assert.Equal(2, await _ray.GetAsync(fromDriver, Deadline));
        Assert.Equal(new[] { 100, 1 }, await _ray.GetAsync(recorder.Task(r => r.Seen()).Remote(), Deadline));
    }

    [Fact]
    public async Task An_actor_calling_the_actor_whose_driver_call_waits_for_it_does_not_deadlock()
    {
        var recorder = _ray.Actor(() => new Recorder()).Remote();
        var caller = _ray.Actor(() => new RecorderCaller(recorder)).Remote();
        var fromActor = caller.Task((c, v) => c.Record(v), 100).Remote();
        var fromDriver = recorder.Task((r, v) => r.Record(v), fromActor).Remote();
        Assert.Equal(2, await _ray.GetAsync(fromDriver, Deadline));
        Assert.Equal(new[] { 100, 1 }, await _ray.GetAsync(recorder.Task(r => r.Seen()).Remote(), Deadline));
    }

    [Fact]
    public async Task Killing_an_actor_fails_its_running_call_at_once()
    {
        var gate = Guid.NewGuid().ToString();
        var waiter = _ray.Actor(() => new Waiter()).Remote();
        try
        {
            var running = waiter.Task((w, g) => w.Block(g), gate).Remote();
            var queued = waiter.Task(w => w.Instance()).Remote();
            Assert.True(Gates.Get(gate + ".entered").Wait(Deadline), "the call is running");
            await _ray.KillAsync(waiter);
            var died = await Assert.ThrowsAsync<ActorDiedException>(async () => await _ray.GetAsync(running, Deadline));
            Assert.Contains("killed", died.Message, StringComparison.Ordinal);
            await Assert.ThrowsAsync<ActorDiedException>(async () => await _ray.GetAsync(queued, Deadline));
            await Assert.ThrowsAsync<ActorDiedException>(async () => await _ray.GetAsync(waiter.Task(w => w.Instance()).Remote(), Deadline));
        }
        finally
        {
            Gates.Get(gate).Set();
        }
    }

    [Fact]
    public async Task Restarting_an_actor_whose_call_never_returns_serves_later_calls_from_the_new_instance()
    {
        var gate = Guid.NewGuid().ToString();
        var waiter = _ray.Actor(() => new Waiter()).Options(new ActorOptions { MaxRestarts = 1 }).Remote();
        try
        {
            var first = await _ray.GetAsync(waiter.Task(w => w.Instance()).Remote(), Deadline);
            var running = waiter.Task((w, g) => w.Block(g), gate).Remote();
            Assert.True(Gates.Get(gate + ".entered").Wait(Deadline), "the call is running");
            await _ray.KillAsync(waiter, noRestart: false);
            await Assert.ThrowsAsync<ActorDiedException>(async () => await _ray.GetAsync(running, Deadline));
            // The old instance's thread is still inside Block: the new instance must not wait for it.
            Assert.NotEqual(first, await _ray.GetAsync(waiter.Task(w => w.Instance()).Remote(), Deadline));
        }
        finally
        {
            Gates.Get(gate).Set();
            await _ray.KillAsync(waiter);
        }
    }

    [Fact]
    public async Task A_cancelled_call_waiting_for_its_argument_never_runs_and_the_next_call_runs_meanwhile()
    {
        var recorder = await ActorCancelScenarios.CancelACallWaitingForItsArgumentAsync(_ray, Deadline);
        Assert.Equal(2, await _ray.GetAsync(recorder.Task((r, v) => r.Record(v), 3).Remote(), Deadline));
        Assert.Equal(new[] { 2, 3 }, await _ray.GetAsync(recorder.Task(r => r.Seen()).Remote(), Deadline));
    }

    [Fact]
    public async Task Cancelling_a_running_call_cancels_its_RayContext_token()
    {
        await ActorCancelScenarios.CancelARunningCallAsync(_ray, Deadline);
    }

    [Fact]
    public async Task An_actor_whose_constructor_argument_failed_is_dead_and_every_call_says_why()
    {
        var failed = _ray.Task(ActorSemanticsFunctions.Fail).Remote();
        var runtime = IRayRuntimeAccess.Of(_ray);
        var actorId = ActorId.NewId();
        _ = runtime.Actors.Create(new ActorCreationSpec
        {
            ActorId = actorId,
            Constructor = FunctionDescriptor.For(typeof(Counter).GetConstructor(new[] { typeof(int) })!),
            Args = new[] { TaskArg.FromRef(failed.Id, failed) },
            Owner = runtime.WorkerId,
            ClassName = typeof(Counter).FullName!,
        });
        var counter = new ActorHandle<Counter>(actorId, typeof(Counter).FullName!, _ray);
        for (var i = 0; i < 2; i++)
        {
            var died = await Assert.ThrowsAsync<ActorDiedException>(async () => await _ray.GetAsync(counter.Task(c => c.Get()).Remote(), Deadline));
            Assert.Contains("this argument failed", died.Message, StringComparison.Ordinal);
        }
    }
}
