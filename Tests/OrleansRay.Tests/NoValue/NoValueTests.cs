using OrleansRay.Tests.Fixtures;
using OrleansRay.Tests.Functions;
using Xunit;

namespace OrleansRay.Tests.NoValue;

/// <summary>Remote functions and actor methods that return nothing (<c>void</c>, <c>Task</c>, <c>ValueTask</c>) on one
/// embedded node: their refs are <c>ObjectRef&lt;Unit&gt;</c> (Ray's None) that complete when they have finished.</summary>
[Collection(RayCollection.Name)]
public sealed class NoValueTests : IAsyncLifetime
{
    private readonly string _key = Guid.NewGuid().ToString("N");
    private readonly IRay _ray;
    private NoValueScenarios _scenarios = null!;

    public NoValueTests(RayFixture fixture) => _ray = fixture.Ray;

    public async Task InitializeAsync()
    {
        // The embedded node runs everything: its id, as a task sees it.
        var node = await _ray.Task(() => RayContext.NodeId.Value).Remote();
        _scenarios = new NoValueScenarios(_ray, _key, node, Placement: null);
    }

    public Task DisposeAsync()
    {
        NoValueFunctions.Forget(_key);
        return Task.CompletedTask;
    }

    [Fact]
    public Task Void_Task_and_ValueTask_functions_run_and_their_refs_complete_once_they_have_finished() =>
        _scenarios.Void_Task_and_ValueTask_functions_run_and_their_refs_complete_once_they_have_finished();

    [Fact]
    public Task Their_exceptions_arrive_as_RayTaskException() => _scenarios.Their_exceptions_arrive_as_RayTaskException();

    [Fact]
    public Task Options_apply_retrying_a_void_function_that_threw() => _scenarios.Options_apply_retrying_a_void_function_that_threw();

    [Fact]
    public Task A_Unit_ref_passed_to_a_task_orders_it_after_the_first_finished() => _scenarios.A_Unit_ref_passed_to_a_task_orders_it_after_the_first_finished();

    [Fact]
    public Task Actor_methods_returning_nothing_keep_their_callers_order_and_the_actors_state() =>
        _scenarios.Actor_methods_returning_nothing_keep_their_callers_order_and_the_actors_state();

    [Fact]
    public Task A_generator_taking_the_tasks_token_last_gets_it_and_sees_it_fire_when_cancelled() =>
        _scenarios.A_generator_taking_the_tasks_token_last_gets_it_and_sees_it_fire_when_cancelled();

    [Fact]
    public async Task Overloads_pick_the_value_shapes_as_before_and_Unit_for_functions_returning_nothing()
    {
        var ray = _ray;
        // Value-returning shapes keep their TResult (T, Task<T>, ValueTask<T>), and generators stream.
        Assert.Equal(typeof(int), ResultOf(ray.Task(TestFunctions.Square, 3)));
        Assert.Equal(typeof(int), ResultOf(ray.Task(OverloadShapes.TaskOfInt, 3)));
        Assert.Equal(typeof(int), ResultOf(ray.Task(TestFunctions.AddAsync, 2, 3)));
        Assert.Equal(typeof(int), ResultOf(ray.Task(OverloadShapes.ValueTaskOfInt, 3)));
        Assert.Equal(typeof(string), ResultOf(ray.Task(OverloadShapes.Echo, "s")));
        Assert.Equal(typeof(int), ResultOf(ray.Task((int x) => x * 2, 3)));
        Assert.Equal(typeof(int), ResultOf(ray.Task(x => x * 2, 3)));                   // parameter types inferred from the arguments
        Assert.Equal(typeof(int), ResultOf(ray.Task((int x) => TestFunctions.Square(x), 3))); // a call converts to an Action too
        Assert.Equal(typeof(int), ResultOf(ray.Task(() => 7)));
        Assert.Equal(typeof(int), ResultOf(ray.Task(async (int x) => { await Task.Yield(); return x; }, 3)));
        Assert.Equal(typeof(int[]), ResultOf(ray.Task(OverloadShapes.Numbers, 3)));
        Assert.Equal(typeof(IEnumerable<int>), ResultOf(ray.Task(OverloadShapes.Iterate, 3)));
        Assert.Equal(typeof(int), ResultOf(ray.Task(OverloadShapes.Stream, 3)));
        Assert.Equal(typeof(int), ResultOf(ray.Task(NoValueFunctions.Counted, "k", 3)));

        // Functions returning nothing: Unit.
        Assert.Equal(typeof(Unit), ResultOf(ray.Task(NoValueFunctions.Write, "k", "w")));
        Assert.Equal(typeof(Unit), ResultOf(ray.Task(NoValueFunctions.WriteLater, "k", "w")));
        Assert.Equal(typeof(Unit), ResultOf(ray.Task(NoValueFunctions.WriteValueTask, "k", "w")));
        Assert.Equal(typeof(Unit), ResultOf(ray.Task(NoValueFunctions.CountRun)));
        Assert.Equal(typeof(Unit), ResultOf(ray.Task((string s) => NoValueFunctions.Write(s, "w"), "k")));
        Assert.Equal(typeof(Unit), ResultOf(ray.Task(x => NoValueFunctions.Write(x, "w"), "k")));
        Assert.Equal(typeof(Unit), ResultOf(ray.Task(async (int x) => await Task.Delay(x), 1)));
        Assert.Equal(typeof(Unit), ResultOf(ray.Task(() => Task.CompletedTask)));
        Assert.Equal(typeof(Unit), ResultOf(ray.Task(() => ValueTask.CompletedTask)));

        // Actor methods, likewise.
        var journal = ray.Actor(() => new Journal()).Remote();
        Assert.Equal(typeof(int[]), ResultOf(journal.Task(j => j.Entries())));
        Assert.Equal(typeof(Unit), ResultOf(journal.Task(j => j.Reset())));
        Assert.Equal(typeof(Unit), ResultOf(journal.Task((j, x) => j.Append(x), 1)));
        Assert.Equal(typeof(Unit), ResultOf(journal.Task((j, x) => j.AppendLater(x), 1)));
        Assert.Equal(typeof(Unit), ResultOf(journal.Task((j, x) => j.AppendValueTask(x), 1)));
        await ray.KillAsync(journal);
    }

    private static Type ResultOf<T>(TaskCall<T> call) => typeof(T);

    private static Type ResultOf<T>(StreamingTaskCall<T> call) => typeof(T);

    private static Type ResultOf<T>(ActorMethodCall<T> call) => typeof(T);
}
