using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.AsyncActors;

/// <summary>Async actors and concurrency groups with a connected driver on two in-process nodes, the actor on the node
/// the driver does not talk to (its calls and the groups travel with them).</summary>
public sealed class AsyncActorDistributedTests : IAsyncLifetime
{
    private InProcessCluster _cluster = null!;
    private IRay _ray = null!;
    private SchedulingStrategy _far = null!;

    public async Task InitializeAsync()
    {
        _cluster = await InProcessCluster.StartAsync((2, null), (2, null));
        _ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken, Namespace = "tests" });
        _far = SchedulingStrategy.NodeAffinity(_cluster.Nodes[1].NodeId);
    }

    public async Task DisposeAsync()
    {
        await _ray.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task An_async_actor_on_the_far_node_interleaves_its_calls_and_keeps_its_groups_limits()
    {
        await AsyncActorScenarios.An_async_actor_runs_awaiting_calls_concurrently_but_never_two_at_the_same_instant(_ray, _far);
        await AsyncActorScenarios.Each_concurrency_group_has_its_own_limit_and_a_full_group_holds_up_no_other(_ray, _far);
        await AsyncActorScenarios.One_callers_calls_start_in_submission_order(_ray, _far);
    }

    [Fact]
    public Task A_plain_actor_made_by_a_task_on_the_far_node_refuses_a_group_on_its_host() => AsyncActorScenarios.A_plain_actor_made_elsewhere_refuses_a_group_on_its_host(_ray, _far);
}
