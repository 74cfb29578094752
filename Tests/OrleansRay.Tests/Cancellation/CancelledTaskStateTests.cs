using OrleansRay.Tests.Fixtures;
using OrleansRay.Tests.Functions;
using Xunit;

namespace OrleansRay.Tests.Cancellation;

/// <summary>The state API lists a cancelled task as <c>FAILED</c> with the error type of a cancel
/// (<c>OrleansRay.TaskCancelledException</c>, Ray's <c>TASK_CANCELLED</c>) from the cancel on, whatever its code does
/// afterwards: ignore the token and return, throw on the token, or block. One embedded node (4 CPUs, 2 accel).</summary>
[Collection(RayCollection.Name)]
public sealed class CancelledTaskStateTests
{
    private const string CancelledType = "OrleansRay.TaskCancelledException";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly IRay _ray;

    public CancelledTaskStateTests(RayFixture fixture) => _ray = fixture.Ray;

    /// <summary>Waits on its gate, ignoring its token, then returns (as Ray's <c>time.sleep</c> in a task does).</summary>
    public static int HoldIgnoringToken(string gate)
    {
        Gates.Get(gate + ".started").Set();
        Gates.Get(gate).Wait(TimeSpan.FromSeconds(60));
        return 7;
    }

    /// <summary>Waits on its token and throws .NET's <see cref="TaskCanceledException"/> when it fires.</summary>
    public static async Task<int> ThrowOnToken(string gate)
    {
        Gates.Get(gate + ".started").Set();
        await Task.Delay(TimeSpan.FromSeconds(60), RayContext.CancellationToken);
        return 7;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_running_task_that_ignores_its_token_is_listed_FAILED_as_cancelled_and_stays_so_after_it_returns(bool force)
    {
        var gate = "state-cancel-" + Guid.NewGuid().ToString("N");
        var name = "cancelled-ignoring-" + (force ? "force" : "cooperative") + "-" + gate[^8..];
        var accel = new TaskOptions { NumCpus = 0, Name = name, Resources = { ["accel"] = 2 } };
        var held = _ray.Task(HoldIgnoringToken, gate).Options(accel).Remote();
        Assert.True(Gates.Get(gate + ".started").Wait(Deadline));
        await _ray.CancelAsync(held, force);
        await Assert.ThrowsAsync<TaskCancelledException>(async () => await _ray.GetAsync(held, Deadline));

        // Listed as cancelled while its code still runs.
        await AssertListedCancelledAsync(name);

        // Its code returns. Without force its lease's accel comes back only once that attempt is over (its return
        // recorded), so the next accel task runs after it and the row is read after the code's end. With force the
        // accel came back at the cancel: the row is read again, though perhaps before the abandoned code returned.
        Gates.Get(gate).Set();
        var after = _ray.Task(CancelledTaskStateTests.AccelAnswer).Options(new TaskOptions { NumCpus = 0, Resources = { ["accel"] = 2 } }).Remote();
        Assert.Equal(42, await _ray.GetAsync(after, Deadline));
        await AssertListedCancelledAsync(name);
    }

    [Fact]
    public async Task A_running_task_that_throws_on_its_token_is_listed_as_cancelled_not_as_TaskCanceledException()
    {
        var gate = "state-cancel-throw-" + Guid.NewGuid().ToString("N");
        var name = "cancelled-throwing-" + gate[^8..];
        var r = _ray.Task(ThrowOnToken, gate).Options(new TaskOptions { NumCpus = 0, Name = name }).Remote();
        Assert.True(Gates.Get(gate + ".started").Wait(Deadline));
        await _ray.CancelAsync(r);
        await Assert.ThrowsAsync<TaskCancelledException>(async () => await _ray.GetAsync(r, Deadline));
        await AssertListedCancelledAsync(name);
    }

    [Fact]
    public async Task A_queued_task_cancelled_before_it_ran_is_listed_FAILED_as_cancelled()
    {
        var gate = "state-cancel-queued-" + Guid.NewGuid().ToString("N");
        var name = "cancelled-queued-" + gate[^8..];
        var accel = new TaskOptions { NumCpus = 0, Resources = { ["accel"] = 2 } };
        var holder = _ray.Task(HoldIgnoringToken, gate).Options(accel).Remote();
        try
        {
            Assert.True(Gates.Get(gate + ".started").Wait(Deadline));
            var queued = _ray.Task(AccelAnswer).Options(new TaskOptions { NumCpus = 0, Name = name, Resources = { ["accel"] = 2 } }).Remote();
            await _ray.CancelAsync(queued);
            await Assert.ThrowsAsync<TaskCancelledException>(async () => await _ray.GetAsync(queued, Deadline));
            await AssertListedCancelledAsync(name);
        }
        finally
        {
            Gates.Get(gate).Set();
        }

        Assert.Equal(7, await _ray.GetAsync(holder, Deadline));
    }

    public static int AccelAnswer() => 42;

    /// <summary>Waits until the task named <paramref name="name"/> is listed, then asserts it is listed once, FAILED, as
    /// cancelled.</summary>
    private async Task AssertListedCancelledAsync(string name)
    {
        IReadOnlyList<TaskStateRow> rows = [];
        await Eventually.TrueAsync(async () =>
        {
            rows = (await _ray.State.ListTasksAsync(StateListOptions.Where($"name={name}"))).Rows;
            return rows.Count > 0 && rows.All(t => t.State is "FAILED" or "FINISHED");
        }, Deadline, $"the cancelled task {name} is listed finished or failed");
        var row = Assert.Single(rows);
        Assert.Equal("FAILED", row.State);
        Assert.Equal(CancelledType, row.ErrorType);
        Assert.Contains("cancelled", row.ErrorMessage, StringComparison.Ordinal);
    }
}
