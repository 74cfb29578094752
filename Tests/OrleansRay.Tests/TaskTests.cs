using OrleansRay.Tests.Fixtures;
using OrleansRay.Tests.Functions;
using Xunit;
using static OrleansRay.Tests.Functions.TestFunctions;

namespace OrleansRay.Tests;

[Collection(RayCollection.Name)]
public sealed class TaskTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly IRay _ray;

    public TaskTests(RayFixture fixture) => _ray = fixture.Ray;

    [Fact]
    public async Task Static_method_task_returns_its_value_and_refs_chain()
    {
        ObjectRef<int> a = _ray.Task(Square, 3).Remote();
        ObjectRef<int> b = _ray.Task(Square, a).Remote();
        Assert.Equal(81, await _ray.GetAsync(b));
        Assert.Equal(new[] { 9, 81 }, await _ray.GetAsync(new[] { a, b }));
        Assert.Equal(81, await b);
    }

    [Fact]
    public async Task Functions_with_zero_to_six_parameters_mixing_values_and_refs_run()
    {
        var one = await _ray.PutAsync(1);
        Assert.Equal(42, await _ray.Task(Answer).Remote());
        Assert.Equal(1, await _ray.Task(Identity, one).Remote());
        Assert.Equal(3, await _ray.Task(Sum2, one, 2).Remote());
        Assert.Equal(6, await _ray.Task(Sum3, 1, one, 4).Remote());
        Assert.Equal(10, await _ray.Task(Sum4, one, 2, one, 6).Remote());
        Assert.Equal(15, await _ray.Task(Sum5, 1, 2, 3, 4, 5).Remote());
        Assert.Equal(21, await _ray.Task(Sum6, one, one, one, one, one, 16).Remote());
    }

    [Fact]
    public async Task Async_functions_returning_Task_and_ValueTask_run()
    {
        var x = _ray.Task(Zeros, 4).Remote();
        Assert.Equal(0.0, await _ray.Task(Dot, x, x).Remote());
        Assert.Equal(5, await _ray.Task(AddAsync, 2, 3).Remote());
    }

    [Fact]
    public async Task Non_capturing_lambda_runs()
    {
        Assert.Equal(11, await _ray.Task((int x) => x + 1, 10).Remote());
        Assert.Equal(7, await _ray.Task(() => 7).Remote());
        Assert.Equal(9, await _ray.Task(async (int x) => { await Task.Yield(); return x * 3; }, 3).Remote());
    }

    [Fact]
    public async Task Capturing_lambda_is_refused_at_Remote_with_the_reason()
    {
        var offset = 5;
        var call = _ray.Task((int x) => x + offset, 1);
        var ex = Assert.Throws<ArgumentException>(() => call.Remote());
        Assert.Contains("offset", ex.Message);
        Assert.Contains("capture", ex.Message);

        // Capture-free lambdas' targets are remembered once checked; a capturing one is refused every time.
        Assert.Equal(2, await _ray.Task((int x) => x + 1, 1).Remote());
        Assert.Throws<ArgumentException>(() => call.Remote());
    }

    [Fact]
    public void Instance_method_bound_to_an_object_is_refused()
    {
        var holder = new InstanceHolder();
        var ex = Assert.Throws<ArgumentException>(() => _ray.Task(holder.Double, 2).Remote());
        Assert.Contains("static", ex.Message);
    }

    [Fact]
    public async Task Remote_returns_before_the_task_runs_and_the_value_arrives_later()
    {
        var gate = Guid.NewGuid().ToString();
        var r = _ray.Task(WaitForGate, gate).Remote();
        var early = await _ray.WaitAsync(new[] { r }, numReturns: 1, timeout: TimeSpan.FromMilliseconds(50));
        Assert.Empty(early.Ready);
        Gates.Get(gate).Set();
        Assert.Equal(1, await _ray.GetAsync(r, Deadline));
    }

    [Fact]
    public async Task Refs_nested_inside_an_argument_arrive_as_refs()
    {
        var refs = new List<ObjectRef<int>> { _ray.Task(Square, 2).Remote(), _ray.Task(Square, 3).Remote() };
        Assert.Equal(13, await _ray.Task(SumRefs, refs).Remote());
    }

    [Fact]
    public async Task A_task_can_return_a_ref_and_it_resolves_to_the_inner_value()
    {
        ObjectRef<ObjectRef<int>> outer = _ray.Task(MakeRef, 6).Remote();
        ObjectRef<int> inner = await outer;
        Assert.Equal(36, await inner);
    }

    [Fact]
    public async Task Arguments_are_copied_so_a_task_cannot_change_the_callers_value()
    {
        var values = new[] { 1, 2, 3 };
        var result = await _ray.Task(Mutate, values).Remote();
        Assert.Equal(-1, result[0]);
        Assert.Equal(1, values[0]);
    }

    [Fact]
    public async Task Errors_propagate_through_dependent_tasks()
    {
        var failed = _ray.Task(Throw, 1).Remote();
        var dependent = _ray.Task(Square, failed).Remote();
        var ex = await Assert.ThrowsAsync<RayTaskException>(async () => await dependent);
        Assert.Contains("Throw", ex.FunctionName);
        Assert.Equal(typeof(InvalidOperationException).FullName, ex.OriginalExceptionType);
        Assert.Contains("bad input 1", ex.Message);
    }

    [Fact]
    public async Task RetryExceptions_reruns_a_throwing_task_up_to_MaxRetries()
    {
        var key = Guid.NewGuid().ToString();
        var r = _ray.Task(FailTwiceThenSucceed, key).Options(new TaskOptions { RetryExceptions = true, MaxRetries = 3 }).Remote();
        Assert.Equal(3, await _ray.GetAsync(r, Deadline));
        Assert.Equal(3, Counters.Get(key));
    }

    [Fact]
    public async Task Without_RetryExceptions_a_throwing_task_runs_once()
    {
        var key = Guid.NewGuid().ToString();
        var r = _ray.Task(FailTwiceThenSucceed, key).Remote();
        var ex = await Assert.ThrowsAsync<RayTaskException>(async () => await r);
        Assert.Equal(typeof(IOException).FullName, ex.OriginalExceptionType);
        Assert.Equal(1, Counters.Get(key));
    }

    [Fact]
    public async Task Retries_stop_at_MaxRetries_and_the_last_error_surfaces()
    {
        var key = Guid.NewGuid().ToString();
        var r = _ray.Task(FailTwiceThenSucceed, key).Options(new TaskOptions { RetryExceptions = true, MaxRetries = 1 }).Remote();
        var ex = await Assert.ThrowsAsync<RayTaskException>(async () => await r);
        Assert.Contains("transient failure 2", ex.Message);
        Assert.Equal(2, Counters.Get(key));
    }

    [Fact]
    public async Task Options_with_resources_run_and_name_shows_in_errors()
    {
        ObjectRef<int> c = _ray.Task(Square, 3)
            .Options(new TaskOptions { NumCpus = 2, NumGpus = 0, Resources = { ["accel"] = 1 }, MaxRetries = 3, RetryExceptions = true, Name = "square" })
            .Remote();
        Assert.Equal(9, await c);

        var named = _ray.Task(Throw, 2).Options(new TaskOptions { Name = "named-failure" }).Remote();
        var ex = await Assert.ThrowsAsync<RayTaskException>(async () => await named);
        Assert.Equal("named-failure", ex.FunctionName);
    }

    [Fact]
    public void Bad_options_are_refused_naming_the_setting()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => _ray.Task(Square, 1).Options(new TaskOptions { NumCpus = -1 }).Remote());
        Assert.Contains("NumCpus", ex.Message);
        var ex2 = Assert.Throws<ArgumentException>(() => _ray.Task(Square, 1).Options(new TaskOptions { Resources = { ["accel"] = double.NaN } }).Remote());
        Assert.Contains("accel", ex2.Message);
    }

    [Fact]
    public async Task Cancelling_a_queued_task_makes_reading_it_throw_TaskCancelledException()
    {
        var gate = Guid.NewGuid().ToString();
        var holder = _ray.Task(WaitForGate, gate).Options(new TaskOptions { NumCpus = 0, Resources = { ["accel"] = 2 } }).Remote();
        var queued = _ray.Task(Square, 5).Options(new TaskOptions { NumCpus = 0, Resources = { ["accel"] = 2 } }).Remote();
        await _ray.CancelAsync(queued);
        await Assert.ThrowsAsync<TaskCancelledException>(async () => await queued);
        Gates.Get(gate).Set();
        Assert.Equal(1, await _ray.GetAsync(holder, Deadline));
    }

    [Fact]
    public async Task Cancelling_a_running_task_signals_its_token_and_reading_throws()
    {
        var gate = Guid.NewGuid().ToString();
        var r = _ray.Task(RunUntilCancelled, gate).Remote();
        Assert.True(Gates.Get(gate + ".started").Wait(Deadline));
        await _ray.CancelAsync(r);
        await Assert.ThrowsAsync<TaskCancelledException>(async () => await r);
        Assert.True(Gates.Get(gate + ".observed").Wait(Deadline), "the running task saw RayContext.CancellationToken fire");
    }

    [Fact]
    public async Task Force_cancel_abandons_a_running_attempt_and_frees_its_resources()
    {
        var gate = Guid.NewGuid().ToString();
        var stuck = _ray.Task(IgnoreCancellation, gate).Options(new TaskOptions { NumCpus = 0, Resources = { ["accel"] = 2 } }).Remote();
        Assert.True(Gates.Get(gate + ".started").Wait(Deadline));
        var next = _ray.Task(Square, 4).Options(new TaskOptions { NumCpus = 0, Resources = { ["accel"] = 2 } }).Remote();
        await _ray.CancelAsync(stuck, force: true);
        await Assert.ThrowsAsync<TaskCancelledException>(async () => await stuck);
        // The abandoned function is still blocked on its gate, yet its accel is free again.
        Assert.Equal(16, await _ray.GetAsync(next, Deadline));
        Gates.Get(gate).Set();
    }

    [Fact]
    public async Task Tasks_submit_tasks_and_blocking_gets_inside_tasks_do_not_deadlock_a_full_node()
    {
        Assert.Equal(1 + 4 + 9 + 16 + 25, await _ray.Task(NestedSquares, 5).Remote());
        // 12 tasks each hold a CPU (the node has 4) and block on a nested task: they hand their CPU back while blocked.
        var refs = Enumerable.Range(1, 12).Select(i => _ray.Task(BlockingNested, i).Remote()).ToArray();
        var values = await _ray.GetAsync(refs, Deadline);
        Assert.Equal(Enumerable.Range(1, 12).Select(i => i * i), values);
    }

    [Fact]
    public async Task A_task_waiting_in_a_Get_gives_back_its_CPUs_and_keeps_its_other_resources()
    {
        var gate = "blocked-keeps-" + Guid.NewGuid().ToString("N");
        var holder = _ray.Task(HoldAllAndWait, gate).Options(new TaskOptions { NumCpus = 4, Resources = { ["accel"] = 2 } }).Remote();

        // While it waits, its 4 CPUs are free for other work (Ray's release of a blocked worker's CPUs), but not its
        // accelerators (a GPU stays with the task that waits, as in Ray): both read from one snapshot of the node.
        IReadOnlyDictionary<string, double> free = new Dictionary<string, double>();
        await Eventually.TrueAsync(async () => (free = await _ray.AvailableResourcesAsync()).GetValueOrDefault("CPU") == 4, Deadline, "the waiting task's CPUs are given back");
        Assert.Equal(0, free.GetValueOrDefault("accel"));
        Assert.Equal(16, await _ray.GetAsync(_ray.Task(Square, 4).Options(new TaskOptions { NumCpus = 4 }).Remote(), Deadline));

        Gates.Get(gate).Set();
        Assert.Equal(1, await _ray.GetAsync(holder, Deadline));
        await Eventually.TrueAsync(async () =>
        {
            var after = await _ray.AvailableResourcesAsync();
            return after.GetValueOrDefault("CPU") == 4 && after.GetValueOrDefault("accel") == 2;
        }, Deadline, "everything is free once it ends");
    }

    [Fact]
    public async Task A_task_waiting_for_two_things_at_once_keeps_its_CPUs_given_back_until_both_waits_end()
    {
        // Four parents fill the node's 4 CPUs; each waits at once for a 0-CPU child and for a 1-CPU child that can only
        // start once its input (another 0-CPU child) is ready. The end of the first wait must not take the CPU back while
        // the other is still open, or no 1-CPU child ever starts.
        var key = "two-waits-" + Guid.NewGuid().ToString("N");
        var parents = Enumerable.Range(0, 4).Select(i => _ray.Task(WaitForTwoAtOnce, key, i).Remote()).ToArray();
        await Eventually.TrueAsync(async () => (await _ray.AvailableResourcesAsync()).GetValueOrDefault("CPU") == 4, Deadline, "the 4 waiting parents gave their CPUs back");

        Gates.Get(key + ".first").Set();
        await Eventually.TrueAsync(() => Counters.Get(key + ".first-done") == 4, Deadline, "every parent's first wait ended");
        Gates.Get(key + ".input").Set();
        Assert.Equal(Enumerable.Range(0, 4).Select(i => 1 + (i + 1)), await _ray.GetAsync(parents, Deadline));
    }

    public static async Task<int> WaitForTwoAtOnce(string key, int i)
    {
        var ray = Ray.Current;
        var first = ray.Task(WaitForGate, key + ".first").Options(new TaskOptions { NumCpus = 0 }).Remote();
        var input = ray.Task(GateThen, key + ".input", i).Options(new TaskOptions { NumCpus = 0 }).Remote();
        var needsCpu = ray.Task(PlusOne, input).Remote();
        var firstWait = ray.GetAsync(first, Deadline).AsTask();
        var secondWait = ray.GetAsync(needsCpu, Deadline).AsTask();
        var one = await firstWait;
        Counters.Increment(key + ".first-done");
        return one + await secondWait;
    }

    public static int GateThen(string gate, int value) => Gates.Get(gate).Wait(Deadline) ? value : -1;

    public static int PlusOne(int x) => x + 1;

    [Fact]
    public async Task A_task_that_returns_with_a_wait_still_open_gives_away_no_CPU_of_the_next_task()
    {
        var key = "late-wait-" + Guid.NewGuid().ToString("N");
        // The first task starts a wait in the background and returns without it, while tasks of its shape queue behind
        // it. Its CPU went back when the wait started; the lease must not run the next task on it: 4 run, 8 wait.
        var first = _ray.Task(ReturnWhileWaiting, key + ".child").Remote();
        var others = Enumerable.Range(0, 12).Select(_ => _ray.Task(Occupy, key).Remote()).ToArray();
        Assert.Equal(1, await _ray.GetAsync(first, Deadline));
        await Eventually.TrueAsync(async () => Counters.Get(key + ".running") == 4
            && (await _ray.PendingDemandsAsync()).Any(d => d.Count == 8 && d.Shape.GetValueOrDefault("CPU") == 1), Deadline, "4 tasks run and 8 wait");
        Assert.Equal(4, Counters.Get(key + ".max"));

        Gates.Get(key).Set();
        Assert.All(await _ray.GetAsync(others, Deadline), running => Assert.InRange(running, 1, 4));
        Gates.Get(key + ".child").Set(); // the background wait ends: it moves nothing
        await Eventually.TrueAsync(async () => (await _ray.AvailableResourcesAsync()).GetValueOrDefault("CPU") == 4, Deadline, "all 4 CPUs free");
        Assert.Equal(4, Counters.Get(key + ".max"));
    }

    public static int ReturnWhileWaiting(string gate)
    {
        var ray = Ray.Current;
        var child = ray.Task(WaitForGate, gate).Options(new TaskOptions { NumCpus = 0 }).Remote();
        using var started = new ManualResetEventSlim();
        _ = Task.Run(async () =>
        {
            var wait = ray.GetAsync(child, Deadline); // the wait (and its CPU's return) starts here
            started.Set();
            await wait;
        });
        return started.Wait(Deadline) ? 1 : 0; // returns with that wait open
    }

    public static async Task<int> HoldAllAndWait(string gate)
    {
        var ray = Ray.Current;
        return await ray.GetAsync(ray.Task(WaitForGate, gate).Options(new TaskOptions { NumCpus = 0 }).Remote(), Deadline);
    }

    public static int WaitForGate(string gate) => Gates.Get(gate).Wait(Deadline) ? 1 : 0;

    [Fact]
    public async Task Ray_Current_and_RayContext_inside_a_task_describe_the_task()
    {
        var name = await _ray.Task(CurrentFunction).Remote();
        Assert.Contains("CurrentFunction", name);
        Assert.False(RayContext.IsInTask);
    }

    [Fact]
    public async Task Many_tasks_submitted_without_awaiting_all_complete()
    {
        var refs = new ObjectRef<int>[20_000];
        for (var i = 0; i < refs.Length; i++)
        {
            refs[i] = _ray.Task(Identity, i).Remote();
        }

        var values = await _ray.GetAsync(refs, Deadline);
        for (var i = 0; i < values.Length; i++)
        {
            Assert.Equal(i, values[i]);
        }
    }

    [Fact]
    public async Task A_task_runs_only_when_its_cpus_are_free()
    {
        // The node has 4 CPUs: tasks asking for 2 each run at most two at a time.
        await AssertConcurrencyAsync(cpusEach: 2, tasks: 6, expected: 2);

        // Tasks asking for 1 CPU fill all four.
        await AssertConcurrencyAsync(cpusEach: 1, tasks: 8, expected: 4);
    }

    /// <summary>Submits tasks that hold their CPUs until released; exactly <paramref name="expected"/> run while the
    /// rest wait as a pending demand of their shape.</summary>
    private async Task AssertConcurrencyAsync(double cpusEach, int tasks, int expected)
    {
        var key = Guid.NewGuid().ToString();
        var refs = Enumerable.Range(0, tasks).Select(_ => _ray.Task(Occupy, key).Options(new TaskOptions { NumCpus = cpusEach }).Remote()).ToArray();
        // Both counters: a task bumps "running" and then "max", and a thread can be descheduled in between.
        await Eventually.TrueAsync(() => Counters.Get(key + ".running") == expected && Counters.Get(key + ".max") == expected, Deadline, $"{expected} tasks hold the node's CPUs");
        await Eventually.TrueAsync(async () => (await _ray.PendingDemandsAsync()).Any(d => d.Count == tasks - expected && d.Shape.GetValueOrDefault("CPU") == cpusEach),
            Deadline, $"the other {tasks - expected} wait for CPUs");
        Assert.Equal(expected, Counters.Get(key + ".max"));
        Gates.Get(key).Set();
        await _ray.GetAsync(refs, Deadline);
        Assert.Equal(expected, Counters.Get(key + ".max"));
    }

    [Fact]
    public async Task Functions_run_on_the_nodes_dedicated_worker_threads()
    {
        var where = await _ray.Task(WhereAmI).Remote();
        Assert.StartsWith("orleansray-worker", where);
        Assert.EndsWith("|False", where);
    }

    [Fact]
    public async Task A_task_asking_for_more_than_the_node_has_stays_pending_as_infeasible()
    {
        var r = _ray.Task(Square, 2).Options(new TaskOptions { NumCpus = 0, Resources = { ["accel"] = 5 } }).Remote();
        await Eventually.TrueAsync(async () => (await _ray.PendingDemandsAsync()).Any(d => d.IsInfeasible && d.Shape.GetValueOrDefault("accel") == 5 && !d.IsActor),
            Deadline, "the accel=5 task is reported infeasible");
        await Assert.ThrowsAsync<GetTimeoutException>(async () => await _ray.GetAsync(r, TimeSpan.FromMilliseconds(100)));
        await _ray.CancelAsync(r);
        await Eventually.TrueAsync(async () => !(await _ray.PendingDemandsAsync()).Any(d => d.Shape.GetValueOrDefault("accel") == 5),
            Deadline, "the cancelled task leaves the demands");
    }

    private sealed class InstanceHolder
    {
        private readonly int _factor = 2;

        public int Double(int x) => x * _factor;
    }
}
