using OrleansRay.Tests.Fixtures;
using Xunit;
using static OrleansRay.Tests.NoValue.NoValueFunctions;

namespace OrleansRay.Tests.NoValue;

/// <summary>Functions and actor methods that return nothing, run by <see cref="NoValueTests"/> on one embedded node and
/// by <see cref="NoValueDistributedTests"/> on the far node of a cluster (a connected driver: the descriptor, the
/// arguments and the Unit result cross the wire).</summary>
/// <param name="Ray">The driver.</param>
/// <param name="Key">The test's key in <see cref="NoValueFunctions.Log"/>.</param>
/// <param name="Node">The node the work must run on (its id as a string).</param>
/// <param name="Placement">Where to run tasks and actors (null: the default).</param>
public sealed record NoValueScenarios(IRay Ray, string Key, string Node, SchedulingStrategy? Placement)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private TaskOptions Options(TaskOptions? options = null)
    {
        options ??= new TaskOptions();
        if (Placement is not null)
        {
            options.SchedulingStrategy = Placement;
        }

        return options;
    }

    private ActorOptions ActorOptions() => Placement is null ? new ActorOptions() : new ActorOptions { SchedulingStrategy = Placement };

    private string[] Written() => [.. Log(Key)];

    public async Task Void_Task_and_ValueTask_functions_run_and_their_refs_complete_once_they_have_finished()
    {
        ObjectRef<Unit> plain = Ray.Task(Write, Key, "void").Options(Options()).Remote();
        Assert.Equal(Unit.Value, await plain);
        Assert.Contains($"void@{Node}", Written());

        // Reading the ref of an async function waits for the function, not for its Task object.
        ObjectRef<Unit> later = Ray.Task(WriteLater, Key, "task").Options(Options()).Remote();
        await later;
        Assert.Contains($"task@{Node}", Written());

        ObjectRef<Unit> valueTask = Ray.Task(WriteValueTask, Key, "valuetask").Options(Options()).Remote();
        ObjectRef<Unit> valueTaskLater = Ray.Task(WriteValueTaskLater, Key, "valuetask-later").Options(Options()).Remote();
        ObjectRef<Unit> six = Ray.Task(WriteSix, Key, 1, 2, 3, 4, await Ray.PutAsync(5)).Options(Options()).Remote();
        ObjectRef<Unit> lambda = Ray.Task((string k) => Write(k, "lambda"), Key).Options(Options()).Remote();
        ObjectRef<Unit> asyncLambda = Ray.Task(async (string k) => { await Task.Yield(); Write(k, "async-lambda"); }, Key).Options(Options()).Remote();
        var noArgumentRuns = NoArgumentRuns;
        ObjectRef<Unit> none = Ray.Task(CountRun).Options(Options()).Remote();
        ObjectRef<Unit>[] all = [valueTask, valueTaskLater, six, lambda, asyncLambda, none];

        var (ready, notReady) = await Ray.WaitAsync(all, all.Length, Deadline);
        Assert.Equal(all.Length, ready.Count);
        Assert.Empty(notReady);
        Assert.Equal(Enumerable.Repeat(Unit.Value, all.Length), await Ray.GetAsync(all, Deadline));
        Assert.Subset(
            new HashSet<string>(Written()),
            new HashSet<string> { $"valuetask@{Node}", $"valuetask-later@{Node}", $"15@{Node}", $"lambda@{Node}", $"async-lambda@{Node}" });
        Assert.True(NoArgumentRuns > noArgumentRuns, "the function without arguments ran");
    }

    public async Task Their_exceptions_arrive_as_RayTaskException()
    {
        var thrown = await Assert.ThrowsAsync<RayTaskException>(async () => await Ray.Task(Throw, "void failed").Options(Options()).Remote());
        Assert.True(thrown.Is<InvalidOperationException>());
        Assert.Equal("void failed", thrown.OriginalMessage);

        var later = await Assert.ThrowsAsync<RayTaskException>(async () => await Ray.Task(ThrowLater, "task failed").Options(Options()).Remote());
        Assert.True(later.Is<ArgumentException>());
        Assert.Equal("task failed", later.OriginalMessage);

        var valueTask = await Assert.ThrowsAsync<RayTaskException>(() => Ray.GetAsync(Ray.Task(ThrowValueTask, "valuetask failed").Options(Options()).Remote(), Deadline).AsTask());
        Assert.True(valueTask.Is<FormatException>());

        // A failed ref fails the task that depends on it, as for any value.
        var failed = Ray.Task(Throw, "upstream failed").Options(Options()).Remote();
        var downstream = await Assert.ThrowsAsync<RayTaskException>(async () => await Ray.Task(ReadAfter, failed, Key).Options(Options()).Remote());
        Assert.Equal("upstream failed", downstream.OriginalMessage);
    }

    public async Task Options_apply_retrying_a_void_function_that_threw()
    {
        var retried = Ray.Task(FailOnceThenWrite, Key, "retried")
            .Options(Options(new TaskOptions { MaxRetries = 1, RetryExceptionTypes = { typeof(TimeoutException) }, Name = "write-retried" }))
            .Remote();
        await Ray.GetAsync(retried, Deadline);
        Assert.Contains($"retried@{Node}", Written());
    }

    public async Task A_Unit_ref_passed_to_a_task_orders_it_after_the_first_finished()
    {
        var first = Ray.Task(WriteLater, Key, "first").Options(Options()).Remote();
        var seen = await Ray.GetAsync(Ray.Task(ReadAfter, first, Key).Options(Options()).Remote(), Deadline);
        Assert.Contains($"first@{Node}", seen);

        // A Unit is a value like any other: put, read, passed.
        var put = await Ray.PutAsync(Unit.Value);
        Assert.Equal(Unit.Value, await Ray.GetAsync(put, Deadline));
        Assert.Contains($"first@{Node}", await Ray.GetAsync(Ray.Task(ReadAfter, put, Key).Options(Options()).Remote(), Deadline));
    }

    public async Task Actor_methods_returning_nothing_keep_their_callers_order_and_the_actors_state()
    {
        var journal = Ray.Actor(() => new Journal()).Options(ActorOptions()).Remote();
        var calls = new List<ObjectRef<Unit>>();
        for (var i = 0; i < 30; i++)
        {
            // Submitted without waiting: one caller's calls run in its order, one at a time, whatever they return.
            calls.Add((i % 3) switch
            {
                0 => journal.Task((j, x) => j.Append(x), i).Remote(),
                1 => journal.Task((j, x) => j.AppendLater(x), i).Remote(),
                _ => journal.Task((j, x) => j.AppendValueTask(x), i).Options(new ActorCallOptions()).Remote(),
            });
        }

        await Ray.GetAsync(calls, Deadline);
        Assert.Equal(Enumerable.Range(0, 30), await journal.Task(j => j.Entries()).Remote());

        await journal.Task(j => j.Reset()).Remote();
        Assert.Empty(await journal.Task(j => j.Entries()).Remote());

        var failed = await Assert.ThrowsAsync<RayTaskException>(async () => await journal.Task((j, m) => j.Fail(m), "journal failed").Remote());
        Assert.Equal("journal failed", failed.OriginalMessage);
        await journal.Task((j, x) => j.Append(x), 7).Remote(); // the actor lives on after a failed call
        Assert.Equal(new[] { 7 }, await journal.Task(j => j.Entries()).Remote());
        await Ray.KillAsync(journal);

        var asyncJournal = Ray.Actor(() => new AsyncJournal()).Options(ActorOptions()).Remote();
        var appends = Enumerable.Range(0, 20).Select(i => asyncJournal.Task((j, x) => j.Append(x), i).Remote()).ToArray();
        await Ray.GetAsync(appends, Deadline);
        Assert.Equal(Enumerable.Range(0, 20), await asyncJournal.Task(j => j.Entries()).Remote());
        await Ray.KillAsync(asyncJournal);
    }

    public async Task A_generator_taking_the_tasks_token_last_gets_it_and_sees_it_fire_when_cancelled()
    {
        var counted = Ray.Task(Counted, Key, 3).Options(Options()).Remote();
        var seen = new List<int>();
        await Assert.ThrowsAsync<TaskCancelledException>(async () =>
        {
            await foreach (var item in counted)
            {
                seen.Add(await item);
                if (seen.Count == 3)
                {
                    await Ray.CancelAsync(counted); // the producer waits on its token after its items
                }
            }
        });

        Assert.Equal([0, 1, 2], seen);
        await Eventually.TrueAsync(() => Written().Contains("cancelled"), Deadline, "the generator's token fired");
        Assert.Equal(["token given", "the task's token", "cancelled"], Written());

        // A generator taking only the token is called through a lambda: the token reaches it through its enumerator.
        var three = Ray.Task(() => Three()).Options(Options()).Remote();
        var items = new List<int>();
        await foreach (var item in three)
        {
            items.Add(await item);
        }

        Assert.Equal([0, 1, 2], items);
        Assert.Equal(3, await three.Completion);
    }
}
