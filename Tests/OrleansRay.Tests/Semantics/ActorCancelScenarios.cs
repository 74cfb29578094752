using OrleansRay.Tests.Actors;
using OrleansRay.Tests.Functions;
using Xunit;

namespace OrleansRay.Tests.Semantics;

/// <summary>Cancel scenarios of issue 9 that hold on one embedded node and with a connected driver on several nodes
/// alike: each test class runs them through its own <see cref="IRay"/>.</summary>
internal static class ActorCancelScenarios
{
    /// <summary>A call waiting for its argument is cancelled: it never runs, the caller's next call runs meanwhile.
    /// Returns the recorder actor, which has seen only that next call (2).</summary>
    public static async Task<ActorHandle<Recorder>> CancelACallWaitingForItsArgumentAsync(IRay ray, TimeSpan deadline)
    {
        var gate = Guid.NewGuid().ToString();
        var recorder = ray.Actor(() => new Recorder()).Remote();
        try
        {
            var pending = ray.Task(ActorSemanticsFunctions.ValueWhenOpen, gate, 1).Remote();
            var a = recorder.Task((r, v) => r.Record(v), pending).Remote();
            var b = recorder.Task((r, v) => r.Record(v), 2).Remote();
            await ray.CancelAsync(a);
            await Assert.ThrowsAsync<TaskCancelledException>(async () => await ray.GetAsync(a, deadline));
            Assert.Equal(1, await ray.GetAsync(b, deadline));
            Gates.Get(gate).Set();
            Assert.Equal(1, await ray.GetAsync(pending, deadline));
            return recorder;
        }
        finally
        {
            Gates.Get(gate).Set();
        }
    }

    /// <summary>A running call is cancelled: its caller gets TaskCancelledException, the method sees
    /// RayContext.CancellationToken cancelled, and the actor goes on serving calls.</summary>
    public static async Task CancelARunningCallAsync(IRay ray, TimeSpan deadline)
    {
        var gate = Guid.NewGuid().ToString();
        var waiter = ray.Actor(() => new Waiter()).Remote();
        try
        {
            var running = waiter.Task((w, g) => w.WaitForCancel(g), gate).Remote();
            Assert.True(Gates.Get(gate + ".entered").Wait(deadline), "the call is running");
            await ray.CancelAsync(running);
            await Assert.ThrowsAsync<TaskCancelledException>(async () => await ray.GetAsync(running, deadline));
            Assert.True(Gates.Get(gate + ".cancelled").Wait(deadline), "the method saw RayContext.CancellationToken cancelled");
            Assert.True(await ray.GetAsync(waiter.Task(w => w.Instance()).Remote(), deadline) > 0);
        }
        finally
        {
            Gates.Get(gate).Set();
        }
    }
}
