using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.AsyncActors;

/// <summary>Async actors and concurrency groups on the shared embedded node.</summary>
[Collection(RayCollection.Name)]
public sealed class AsyncActorTests
{
    private readonly IRay _ray;

    public AsyncActorTests(RayFixture fixture) => _ray = fixture.Ray;

    [Fact]
    public Task An_async_actor_runs_awaiting_calls_concurrently_but_never_two_at_the_same_instant() => AsyncActorScenarios.An_async_actor_runs_awaiting_calls_concurrently_but_never_two_at_the_same_instant(_ray);

    [Fact]
    public Task An_actor_that_is_not_async_runs_its_async_methods_one_at_a_time() => AsyncActorScenarios.An_actor_that_is_not_async_runs_its_async_methods_one_at_a_time(_ray);

    [Fact]
    public Task One_callers_calls_start_in_submission_order() => AsyncActorScenarios.One_callers_calls_start_in_submission_order(_ray);

    [Fact]
    public Task Each_concurrency_group_has_its_own_limit_and_a_full_group_holds_up_no_other() => AsyncActorScenarios.Each_concurrency_group_has_its_own_limit_and_a_full_group_holds_up_no_other(_ray);

    [Fact]
    public Task A_per_call_group_puts_a_method_in_that_groups_slots() => AsyncActorScenarios.A_per_call_group_puts_a_method_in_that_groups_slots(_ray);

    [Fact]
    public Task A_threaded_actors_groups_run_on_threads_and_a_blocked_group_holds_up_no_other() => AsyncActorScenarios.A_threaded_actors_groups_run_on_threads_and_a_blocked_group_holds_up_no_other(_ray);

    [Fact]
    public Task A_call_of_a_group_the_actor_lacks_is_refused_naming_its_groups() => AsyncActorScenarios.A_call_of_a_group_the_actor_lacks_is_refused_naming_its_groups(_ray);

    [Fact]
    public Task A_plain_actor_without_groups_refuses_a_call_naming_a_group() => AsyncActorScenarios.A_plain_actor_without_groups_refuses_a_call_naming_a_group(_ray);

    [Fact]
    public Task A_call_waiting_for_its_groups_slot_can_be_cancelled_and_dies_with_the_actor() => AsyncActorScenarios.A_call_waiting_for_its_groups_slot_can_be_cancelled_and_dies_with_the_actor(_ray);

    [Fact]
    public void An_async_actor_defaults_to_Rays_max_concurrency_of_1000_and_other_actors_to_1()
    {
        Assert.Equal(1000, new ActorOptions().ToData("ns", isAsync: true).MaxConcurrency);
        Assert.Equal(1, new ActorOptions().ToData("ns", isAsync: false).MaxConcurrency);
        Assert.Equal(7, new ActorOptions { MaxConcurrency = 7 }.ToData("ns", isAsync: true).MaxConcurrency);
    }

    [Fact]
    public void Bad_concurrency_groups_are_refused_at_creation()
    {
        var blank = new ActorOptions { ConcurrencyGroups = { [" "] = 1 } };
        Assert.Contains("blank group name", Assert.Throws<ArgumentException>(() => _ray.Actor(() => new GroupedAsyncActor()).Options(blank).Remote()).Message);
        var zero = new ActorOptions { ConcurrencyGroups = { ["io"] = 0 } };
        Assert.Contains("ConcurrencyGroups[\"io\"] must be >= 1", Assert.Throws<ArgumentOutOfRangeException>(() => _ray.Actor(() => new GroupedAsyncActor()).Options(zero).Remote()).Message);
    }
}
