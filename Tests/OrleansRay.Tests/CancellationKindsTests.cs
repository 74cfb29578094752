using OrleansRay.Tests.Fixtures;
using OrleansRay.Tests.Functions;
using Xunit;
using static OrleansRay.Tests.Functions.TestFunctions;

namespace OrleansRay.Tests;

/// <summary>The two kinds of cancellation the README's Errors section tells apart: Ray's (<see cref="TaskCancelledException"/>,
/// a <see cref="RayException"/>) and a caller's token (.NET's <see cref="OperationCanceledException"/>).</summary>
[Collection(RayCollection.Name)]
public sealed class CancellationKindsTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly IRay _ray;

    public CancellationKindsTests(RayFixture fixture) => _ray = fixture.Ray;

    [Fact]
    public async Task Rays_cancellation_is_not_an_OperationCanceledException_and_a_callers_token_is_not_a_RayException()
    {
        // The type hierarchy the README states.
        Assert.True(typeof(RayException).IsAssignableFrom(typeof(TaskCancelledException)));
        Assert.False(typeof(OperationCanceledException).IsAssignableFrom(typeof(TaskCancelledException)));
        Assert.True(typeof(OperationCanceledException).IsAssignableFrom(typeof(TaskCanceledException)));
        Assert.False(typeof(RayException).IsAssignableFrom(typeof(TaskCanceledException)));

        var gate = Guid.NewGuid().ToString();
        var held = _ray.Task(WaitForGate, gate).Options(new TaskOptions { NumCpus = 0 }).Remote();
        try
        {
            // A caller's token that fires while the get waits: .NET's TaskCanceledException (one l).
            using (var cts = new CancellationTokenSource())
            {
                var get = _ray.GetAsync(held, cts.Token).AsTask();
                cts.Cancel();
                var callers = await Assert.ThrowsAsync<TaskCanceledException>(() => get);
                Assert.IsNotType<TaskCancelledException>(callers);
            }

            // Already cancelled when the call is made: an OperationCanceledException too.
            Assert.IsAssignableFrom<OperationCanceledException>(await Record.ExceptionAsync(async () => await _ray.GetAsync(held, new CancellationToken(canceled: true))));

            // Ray's cancellation: OrleansRay.TaskCancelledException (two l's), which catch (OperationCanceledException) misses.
            await _ray.CancelAsync(held);
            Exception? caughtAsCanceled = null, caught = null;
            try
            {
                try
                {
                    await _ray.GetAsync(held, Deadline);
                }
                catch (OperationCanceledException ex)
                {
                    caughtAsCanceled = ex;
                }
            }
            catch (Exception ex)
            {
                caught = ex;
            }

            Assert.Null(caughtAsCanceled);
            Assert.IsType<TaskCancelledException>(caught);
        }
        finally
        {
            Gates.Get(gate).Set();
        }
    }

    [Fact]
    public async Task A_forced_cancel_of_an_actor_call_is_refused_as_in_Ray_and_a_plain_one_says_a_started_call_was_not_stopped()
    {
        var ray = _ray;
        var sleeper = ray.Actor(() => new Actors.Sleeper()).Remote();
        var gate = $"actor-cancel-{Guid.NewGuid():N}";
        var running = sleeper.Task((s, g) => s.BlockUntil(g), gate).Remote();
        Assert.True(Gates.Get(gate + ".blocked").Wait(Deadline), "the first call started");
        var queued = sleeper.Task((s, g) => s.BlockUntil(g), gate + ".queued").Remote(); // behind it: pending until it returns
        try
        {
            var refused = await Assert.ThrowsAsync<ArgumentException>(() => ray.CancelAsync(queued, force: true));
            Assert.Equal("force", refused.ParamName);
            Assert.Contains("KillAsync", refused.Message, StringComparison.Ordinal);

            await ray.CancelAsync(queued);
            var cancelled = await Assert.ThrowsAsync<TaskCancelledException>(async () => await ray.GetAsync(queued, Deadline));
            Assert.Contains("is not stopped", cancelled.Message, StringComparison.Ordinal);
        }
        finally
        {
            Gates.Get(gate).Set();
            Gates.Get(gate + ".queued").Set();
        }

        Assert.Equal(1, await ray.GetAsync(running, Deadline)); // the refused forced cancel touched nothing
        await ray.KillAsync(sleeper);
    }
}
