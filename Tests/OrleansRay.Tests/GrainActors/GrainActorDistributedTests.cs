using Microsoft.Extensions.DependencyInjection;
using OrleansRay.Tests.Fixtures;
using OrleansRay.TestGrainActors;
using Xunit;

namespace OrleansRay.Tests.GrainActors;

/// <summary>The class-actor scenarios for an actor behind a grain interface with a connected driver on two in-process
/// nodes, the actor on the node the driver does not talk to; and what only a cluster has: death with its job.</summary>
public sealed class GrainActorDistributedTests : IAsyncLifetime
{
    private InProcessCluster _cluster = null!;
    private IRay _ray = null!;
    private SchedulingStrategy _far = null!;

    public async Task InitializeAsync()
    {
        _cluster = await InProcessCluster.StartAsync((2, null), (4, new Dictionary<string, double> { ["accel"] = 2 }));
        _ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken, Namespace = "tests" });
        _far = SchedulingStrategy.NodeAffinity(_cluster.Nodes[1].NodeId);
    }

    public async Task DisposeAsync()
    {
        await _ray.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    /// <summary>The requests generated for actor methods carry their order stamp through Orleans' serializer (between
    /// processes) and its copier (calls within one).</summary>
    [Fact]
    public void Every_generated_request_of_an_actor_contract_is_an_ActorRequest_whose_stamp_survives_serialization_and_copying()
    {
        var requests = typeof(ICounterActor).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(Orleans.Serialization.Invocation.IInvokable).IsAssignableFrom(t) && t.Namespace?.Contains("TestGrainActors") == true && t.Name.Contains("ICounterActor"))
            .ToList();
        Assert.NotEmpty(requests);
        var notStamped = requests.Where(t => !typeof(ActorRequest).IsAssignableFrom(t)).Select(t => t.Name).ToList();
        Assert.True(notStamped.Count == 0, "not ActorRequests: " + string.Join(", ", notStamped));

        // A node's own serializer and copier (argument codecs such as ObjectRef's take the node's services).
        var services = _cluster.Nodes[0].Host.Services;
        var serializer = services.GetRequiredService<Orleans.Serialization.Serializer>();
        var copier = services.GetRequiredService<Orleans.Serialization.DeepCopier>();
        var stamp = new ActorCallStamp(Guid.NewGuid(), 41, 17);
        foreach (var type in requests.Where(t => !t.ContainsGenericParameters))
        {
            var request = (ActorRequest)Activator.CreateInstance(type)!;
            request.Stamp = stamp;
            var wire = serializer.Deserialize<Orleans.Serialization.Invocation.IInvokable>(serializer.SerializeToArray<Orleans.Serialization.Invocation.IInvokable>(request));
            Assert.Equal(stamp, Assert.IsAssignableFrom<ActorRequest>(wire).Stamp);
            var copy = copier.Copy<Orleans.Serialization.Invocation.IInvokable>(request);
            Assert.Equal(stamp, Assert.IsAssignableFrom<ActorRequest>(copy).Stamp);
        }
    }

    [Fact]
    public async Task Actor_proxies_route_their_calls_and_nodes_register_no_grain_call_filter()
    {
        // The stamp rides on the actor's own proxy: a node or a connected driver adds nothing to other grain calls.
        foreach (var node in _cluster.Nodes)
        {
            var services = node.Host.Services;
            Assert.Empty(Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetServices<Orleans.IOutgoingGrainCallFilter>(services));
            Assert.NotNull(Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetService<IActorCallRouter>(services));
        }

        var counter = await _ray.CreateActorAsync<ICounterActor>(new ActorOptions { SchedulingStrategy = _far });
        Assert.IsAssignableFrom<ActorReference>(counter);
        Assert.Equal(1, await counter.Increment());
        await _ray.KillAsync(counter);
    }

    [Fact]
    public Task A_typed_proxy_is_called_directly_and_keeps_state_and_user_exceptions_keep_their_type() => GrainActorScenarios.A_typed_proxy_is_called_directly_and_keeps_state_and_user_exceptions_keep_their_type(_ray, _far);

    [Fact]
    public Task A_thousand_unawaited_calls_of_one_caller_run_in_the_order_made() => GrainActorScenarios.A_thousand_unawaited_calls_of_one_caller_run_in_the_order_made(_ray, _far);

    [Fact]
    public Task MaxConcurrency_bounds_the_calls_inside_the_actor_at_once() => GrainActorScenarios.MaxConcurrency_bounds_the_calls_inside_the_actor_at_once(_ray, _far);

    [Fact]
    public Task A_named_actor_is_found_by_name_and_its_name_is_unique_until_it_dies() => GrainActorScenarios.A_named_actor_is_found_by_name_and_its_name_is_unique_until_it_dies(_ray, _far);

    [Fact]
    public Task After_a_kill_every_call_throws_ActorDiedException() => GrainActorScenarios.After_a_kill_every_call_throws_ActorDiedException(_ray, _far);

    [Fact]
    public Task A_kill_with_restart_starts_a_fresh_instance_until_MaxRestarts_is_used_up() => GrainActorScenarios.A_kill_with_restart_starts_a_fresh_instance_until_MaxRestarts_is_used_up(_ray, _far);

    [Fact]
    public Task An_actor_whose_start_throws_fails_every_call_with_ActorDiedException_carrying_the_cause() => GrainActorScenarios.An_actor_whose_start_throws_fails_every_call_with_ActorDiedException_carrying_the_cause(_ray, _far);

    [Fact]
    public Task Its_resources_are_held_while_it_lives_and_released_when_it_dies() => GrainActorScenarios.Its_resources_are_held_while_it_lives_and_released_when_it_dies(_ray, _far);

    [Fact]
    public Task Proxies_travel_to_tasks_to_class_actors_and_to_other_grain_actors() => GrainActorScenarios.Proxies_travel_to_tasks_to_class_actors_and_to_other_grain_actors(_ray, _far);

    [Fact]
    public Task Actors_live_in_their_placement_group_bundle() => GrainActorScenarios.Actors_live_in_their_placement_group_bundle(_ray);

    [Fact]
    public Task Methods_take_and_return_ObjectRefs() => GrainActorScenarios.Methods_take_and_return_ObjectRefs(_ray, _far);

    [Fact]
    public async Task The_actor_lives_on_the_node_chosen_for_it_and_dies_with_the_job_that_created_it()
    {
        var name = "job-" + Guid.NewGuid().ToString("N");
        string node;
        await using (var job = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken, Namespace = "tests" }))
        {
            var counter = await job.CreateActorAsync<ICounterActor>(new ActorOptions { Name = name, SchedulingStrategy = _far });
            node = await counter.Node();
            Assert.Equal(1, await (await _ray.GetActorProxyAsync<ICounterActor>(name)).Increment());
        }

        Assert.Equal(_cluster.Nodes[1].NodeId.Value, node);
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                await _ray.GetActorProxyAsync<ICounterActor>(name);
                return false;
            }
            catch (ActorNotFoundException)
            {
                return true;
            }
        }, GrainActorScenarios.Deadline, "the job's actor died with its driver");
    }

    [Fact]
    public async Task A_detached_actor_outlives_its_job()
    {
        var name = "detached-" + Guid.NewGuid().ToString("N");
        await using (var job = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken, Namespace = "tests" }))
        {
            var counter = await job.CreateActorAsync<ICounterActor>(new ActorOptions { Name = name, Lifetime = ActorLifetime.Detached, SchedulingStrategy = _far });
            await counter.Add(3);
        }

        var kept = await _ray.GetActorProxyAsync<ICounterActor>(name);
        Assert.Equal(4, await kept.Increment());
        await _ray.KillAsync(kept);
    }
}
