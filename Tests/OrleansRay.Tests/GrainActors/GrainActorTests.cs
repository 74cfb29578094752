using OrleansRay.Tests.Fixtures;
using OrleansRay.TestGrainActors;
using Xunit;

namespace OrleansRay.Tests.GrainActors;

/// <summary>The class-actor scenarios for an actor behind a grain interface, on one embedded node (4 CPUs, 2 "accel").</summary>
[Collection(RayCollection.Name)]
public sealed class GrainActorTests
{
    private readonly IRay _ray;

    public GrainActorTests(RayFixture fixture) => _ray = fixture.Ray;

    [Fact]
    public Task A_typed_proxy_is_called_directly_and_keeps_state_and_user_exceptions_keep_their_type() => GrainActorScenarios.A_typed_proxy_is_called_directly_and_keeps_state_and_user_exceptions_keep_their_type(_ray);

    [Fact]
    public Task The_order_stamp_reaches_neither_the_method_nor_the_callers_later_calls() => GrainActorScenarios.The_order_stamp_reaches_neither_the_method_nor_the_callers_later_calls(_ray);

    [Fact]
    public Task A_thousand_unawaited_calls_of_one_caller_run_in_the_order_made() => GrainActorScenarios.A_thousand_unawaited_calls_of_one_caller_run_in_the_order_made(_ray);

    [Fact]
    public Task MaxConcurrency_bounds_the_calls_inside_the_actor_at_once() => GrainActorScenarios.MaxConcurrency_bounds_the_calls_inside_the_actor_at_once(_ray);

    [Fact]
    public Task A_named_actor_is_found_by_name_and_its_name_is_unique_until_it_dies() => GrainActorScenarios.A_named_actor_is_found_by_name_and_its_name_is_unique_until_it_dies(_ray);

    [Fact]
    public Task After_a_kill_every_call_throws_ActorDiedException() => GrainActorScenarios.After_a_kill_every_call_throws_ActorDiedException(_ray);

    [Fact]
    public Task A_kill_with_restart_starts_a_fresh_instance_until_MaxRestarts_is_used_up() => GrainActorScenarios.A_kill_with_restart_starts_a_fresh_instance_until_MaxRestarts_is_used_up(_ray);

    [Fact]
    public Task An_actor_whose_start_throws_fails_every_call_with_ActorDiedException_carrying_the_cause() => GrainActorScenarios.An_actor_whose_start_throws_fails_every_call_with_ActorDiedException_carrying_the_cause(_ray);

    [Fact]
    public Task Its_resources_are_held_while_it_lives_and_released_when_it_dies() => GrainActorScenarios.Its_resources_are_held_while_it_lives_and_released_when_it_dies(_ray);

    [Fact]
    public Task Proxies_travel_to_tasks_to_class_actors_and_to_other_grain_actors() => GrainActorScenarios.Proxies_travel_to_tasks_to_class_actors_and_to_other_grain_actors(_ray);

    [Fact]
    public Task Actors_live_in_their_placement_group_bundle() => GrainActorScenarios.Actors_live_in_their_placement_group_bundle(_ray);

    [Fact]
    public Task Methods_take_and_return_ObjectRefs() => GrainActorScenarios.Methods_take_and_return_ObjectRefs(_ray);
}
