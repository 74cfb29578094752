using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.NoValue;

/// <summary>Functions and actor methods that return nothing on a cluster of two in-process nodes, from a connected
/// driver, the work pinned to the node the driver does not talk to: the function's descriptor, its arguments and its
/// Unit result (or its error) cross the wire.</summary>
public sealed class NoValueDistributedTests : IAsyncLifetime
{
    private readonly string _key = Guid.NewGuid().ToString("N");
    private InProcessCluster _cluster = null!;
    private IRay _ray = null!;
    private NoValueScenarios _scenarios = null!;

    public async Task InitializeAsync()
    {
        _cluster = await InProcessCluster.StartAsync((2, null), (2, null));
        _ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken, Namespace = "tests" });
        var far = _cluster.Nodes[1].NodeId;
        _scenarios = new NoValueScenarios(_ray, _key, far.Value, SchedulingStrategy.NodeAffinity(far));
    }

    public async Task DisposeAsync()
    {
        NoValueFunctions.Forget(_key);
        if (_ray is not null)
        {
            await _ray.DisposeAsync();
        }

        await _cluster.DisposeAsync();
    }

    [Fact]
    public Task Void_Task_and_ValueTask_functions_run_on_the_far_node_and_their_refs_complete_once_they_have_finished() =>
        _scenarios.Void_Task_and_ValueTask_functions_run_and_their_refs_complete_once_they_have_finished();

    [Fact]
    public async Task Their_exceptions_and_retries_cross_the_wire()
    {
        await _scenarios.Their_exceptions_arrive_as_RayTaskException();
        await _scenarios.Options_apply_retrying_a_void_function_that_threw();
    }

    [Fact]
    public Task A_Unit_ref_passed_to_a_task_on_the_far_node_orders_it_after_the_first_finished() =>
        _scenarios.A_Unit_ref_passed_to_a_task_orders_it_after_the_first_finished();

    [Fact]
    public Task Methods_of_an_actor_on_the_far_node_returning_nothing_keep_their_callers_order_and_its_state() =>
        _scenarios.Actor_methods_returning_nothing_keep_their_callers_order_and_the_actors_state();

    [Fact]
    public Task A_generator_on_the_far_node_taking_the_tasks_token_last_gets_it_and_sees_it_fire_when_cancelled() =>
        _scenarios.A_generator_taking_the_tasks_token_last_gets_it_and_sees_it_fire_when_cancelled();
}
