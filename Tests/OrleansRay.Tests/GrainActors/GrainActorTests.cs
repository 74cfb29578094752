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

    /// <summary>As a class actor, an actor no node can hold is created and waits, shown as infeasible; a grain call cannot
    /// wait past Orleans' response timeout (30 s), so each call fails at once saying why, not with Orleans' timeout.</summary>
    [Fact]
    public async Task An_actor_no_node_can_hold_waits_as_infeasible_and_its_calls_fail_at_once_naming_its_resources()
    {
        var deadline = GrainActorScenarios.Deadline;
        var counter = await _ray.CreateActorAsync<ICounterActor>(new ActorOptions { NumCpus = 64 }).WaitAsync(deadline);
        try
        {
            var started = System.Diagnostics.Stopwatch.StartNew();
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => counter.Increment()).WaitAsync(deadline);
            Assert.True(started.Elapsed < TimeSpan.FromSeconds(15), $"the call failed after {started.Elapsed}, as if it had waited for Orleans' timeout");
            Assert.Contains("cannot start", error.Message, StringComparison.Ordinal);
            Assert.Contains("CPU", error.Message, StringComparison.Ordinal);
            Assert.Contains("64", error.Message, StringComparison.Ordinal);
            Assert.Contains("infeasible", error.Message, StringComparison.Ordinal);
            await Eventually.TrueAsync(
                async () => (await _ray.PendingDemandsAsync()).Any(d => d.IsActor && d.IsInfeasible && d.Shape.GetValueOrDefault("CPU") == 64),
                deadline, "the actor is an infeasible pending demand");
            await Assert.ThrowsAsync<InvalidOperationException>(() => counter.Get()).WaitAsync(deadline);
        }
        finally
        {
            await _ray.KillAsync(counter);
        }

        // Killed, it is dead like any actor: the refusing activation went with it.
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                await counter.Get();
                return false;
            }
            catch (ActorDiedException)
            {
                return true;
            }
            catch (InvalidOperationException)
            {
                return false; // the refusing activation, until its deactivation is through
            }
        }, deadline, "calls after the kill throw ActorDiedException");
        await Eventually.TrueAsync(
            async () => !(await _ray.PendingDemandsAsync()).Any(d => d.IsActor && d.Shape.GetValueOrDefault("CPU") == 64),
            deadline, "the killed actor is no longer a pending demand");
    }
}
