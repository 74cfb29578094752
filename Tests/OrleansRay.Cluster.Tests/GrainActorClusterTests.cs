using OrleansRay.Cluster.Tests.Drivers;
using OrleansRay.Cluster.Tests.Fixtures;
using OrleansRay.TestGrainActors;
using Xunit;

namespace OrleansRay.Cluster.Tests;

/// <summary>Issue 14 on a real cluster (head + 2 workers as processes, the TestApp with its actor grains loaded by
/// every node) with a connected driver in this process: the class-actor scenarios for actors behind grain interfaces,
/// each actor on a worker. (The same scenarios run embedded and on in-process nodes in OrleansRay.Tests.)</summary>
[Collection(ClusterCollection.Name)]
public sealed class GrainActorClusterTests : IAsyncLifetime
{
    private readonly SharedCluster _shared;
    private IRay _ray = null!;
    private SchedulingStrategy _onWorker = null!;

    public GrainActorClusterTests(SharedCluster shared) => _shared = shared;

    private LocalCluster Cluster => _shared.Cluster;

    public async Task InitializeAsync()
    {
        await _shared.ResetAsync();
        _ray = await Driver.ConnectAsync(Cluster);
        _onWorker = SchedulingStrategy.NodeAffinity(await Driver.IdOfAsync(_ray, _shared.Workers[0]));
    }

    public async Task DisposeAsync() => await _ray.DisposeAsync();

    [Fact]
    public async Task Calls_order_concurrency_and_values_behave_as_for_class_actors()
    {
        await GrainActorScenarios.A_typed_proxy_is_called_directly_and_keeps_state_and_user_exceptions_keep_their_type(_ray, _onWorker);
        await GrainActorScenarios.A_thousand_unawaited_calls_of_one_caller_run_in_the_order_made(_ray, _onWorker);
        await GrainActorScenarios.MaxConcurrency_bounds_the_calls_inside_the_actor_at_once(_ray, _onWorker);
        await GrainActorScenarios.Proxies_travel_to_tasks_to_class_actors_and_to_other_grain_actors(_ray, _onWorker);
        await GrainActorScenarios.Methods_take_and_return_ObjectRefs(_ray, _onWorker);
    }

    [Fact]
    public async Task Names_kill_restart_a_failing_start_and_placement_groups_behave_as_for_class_actors()
    {
        await GrainActorScenarios.A_named_actor_is_found_by_name_and_its_name_is_unique_until_it_dies(_ray, _onWorker);
        await GrainActorScenarios.After_a_kill_every_call_throws_ActorDiedException(_ray, _onWorker);
        await GrainActorScenarios.A_kill_with_restart_starts_a_fresh_instance_until_MaxRestarts_is_used_up(_ray, _onWorker);
        await GrainActorScenarios.An_actor_whose_start_throws_fails_every_call_with_ActorDiedException_carrying_the_cause(_ray, _onWorker);
        await GrainActorScenarios.Actors_live_in_their_placement_group_bundle(_ray);
    }

    [Fact]
    public async Task Its_resources_are_held_on_its_node_and_released_when_it_dies()
    {
        // A worker with a resource no other test uses: the actor takes all of it.
        var worker = await Cluster.AddWorkerAsync("""{"grainslot":2}""");
        var on = SchedulingStrategy.NodeAffinity(await Driver.IdOfAsync(_ray, worker));
        await GrainActorScenarios.Its_resources_are_held_while_it_lives_and_released_when_it_dies(_ray, on, "grainslot", 2);
    }
}
