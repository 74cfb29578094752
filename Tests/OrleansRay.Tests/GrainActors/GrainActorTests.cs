using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.GrainActors;

/// <summary>The class-actor scenarios for an actor behind a grain interface, on one embedded node (4 CPUs, 2 "accel").</summary>
[Collection(RayCollection.Name)]
public sealed class GrainActorTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly IRay _ray;

    public GrainActorTests(RayFixture fixture) => _ray = fixture.Ray;

    [Fact]
    public async Task A_typed_proxy_is_called_directly_and_keeps_state_and_user_exceptions_keep_their_type()
    {
        var counter = await _ray.CreateActorAsync<ICounterActor>();
        Assert.Equal(1, await counter.Increment());
        Assert.Equal(6, await counter.Add(5));
        Assert.Equal(6, await counter.Get());
        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => counter.Fail("bad input"));
        Assert.Equal("bad input", failed.Message);
        Assert.Equal(6, await counter.Get());
        await _ray.KillAsync(counter);
    }

    [Fact]
    public async Task A_thousand_unawaited_calls_of_one_caller_run_in_the_order_made()
    {
        var counter = await _ray.CreateActorAsync<ICounterActor>();
        var calls = Enumerable.Range(0, 1000).Select(i => counter.Append(i)).ToList();
        await Task.WhenAll(calls).WaitAsync(Deadline);
        Assert.Equal(Enumerable.Range(0, 1000).ToList(), await counter.Log());
        await _ray.KillAsync(counter);
    }

    [Fact]
    public async Task MaxConcurrency_bounds_the_calls_inside_the_actor_at_once()
    {
        foreach (var limit in new[] { 1, 3 })
        {
            var group = $"conc-{limit}-{Guid.NewGuid():N}";
            var counter = await _ray.CreateActorAsync<ICounterActor>(new ActorOptions { MaxConcurrency = limit });
            var calls = Enumerable.Range(0, 5).Select(i => counter.Hold($"{group}.{i}")).ToList();
            await Eventually.TrueAsync(() => Task.FromResult(GrainActorGates.Of(group).Inside == limit), Deadline, $"{limit} calls inside");
            for (var i = 0; i < 5; i++)
            {
                GrainActorGates.Get($"{group}.{i}").TrySetResult();
            }

            await Task.WhenAll(calls).WaitAsync(Deadline);
            Assert.Equal(limit, GrainActorGates.Of(group).Most);
            await _ray.KillAsync(counter);
        }
    }

    [Fact]
    public async Task A_named_actor_is_found_by_name_and_its_name_is_unique_until_it_dies()
    {
        var name = "grain-" + Guid.NewGuid().ToString("N");
        var counter = await _ray.CreateActorAsync<ICounterActor>(new ActorOptions { Name = name });
        await counter.Add(7);
        var again = await _ray.GetActorProxyAsync<ICounterActor>(name);
        Assert.Equal(8, await again.Increment());
        await Assert.ThrowsAsync<ArgumentException>(() => _ray.CreateActorAsync<ICounterActor>(new ActorOptions { Name = name }));
        await Assert.ThrowsAsync<ArgumentException>(() => _ray.GetActorProxyAsync<IBrokenActor>(name));
        await Assert.ThrowsAsync<ActorNotFoundException>(() => _ray.GetActorProxyAsync<ICounterActor>(name, "another-namespace"));

        await _ray.KillAsync(counter);
        await Assert.ThrowsAsync<ActorNotFoundException>(() => _ray.GetActorProxyAsync<ICounterActor>(name));
        var reborn = await _ray.CreateActorAsync<ICounterActor>(new ActorOptions { Name = name });
        Assert.Equal(0, await reborn.Get());
        await _ray.KillAsync(reborn);
    }

    [Fact]
    public async Task After_a_kill_every_call_throws_ActorDiedException()
    {
        var counter = await _ray.CreateActorAsync<ICounterActor>(new ActorOptions { MaxRestarts = 3 });
        await counter.Increment();
        await _ray.KillAsync(counter);
        var died = await Assert.ThrowsAsync<ActorDiedException>(() => counter.Increment());
        Assert.Contains("killed", died.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ActorDiedException>(() => counter.Get());
    }

    [Fact]
    public async Task A_kill_with_restart_starts_a_fresh_instance_until_MaxRestarts_is_used_up()
    {
        var counter = await _ray.CreateActorAsync<ICounterActor>(new ActorOptions { MaxRestarts = 1 });
        Assert.Equal(5, await counter.Add(5));
        await _ray.KillAsync(counter, noRestart: false);
        Assert.Equal(0, await counter.Get());
        Assert.Equal(1, await counter.Increment());

        await _ray.KillAsync(counter, noRestart: false); // no restarts left: it dies
        await Assert.ThrowsAsync<ActorDiedException>(() => counter.Get());
    }

    [Fact]
    public async Task An_actor_whose_start_throws_fails_every_call_with_ActorDiedException_carrying_the_cause()
    {
        var broken = await _ray.CreateActorAsync<IBrokenActor>();
        var first = await Assert.ThrowsAsync<ActorDiedException>(() => broken.Ping());
        Assert.Contains("cannot start: no configuration", first.Message, StringComparison.Ordinal);
        var second = await Assert.ThrowsAsync<ActorDiedException>(() => broken.Ping());
        Assert.Contains("cannot start: no configuration", second.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Its_resources_are_held_while_it_lives_and_released_when_it_dies()
    {
        var counter = await _ray.CreateActorAsync<ICounterActor>(new ActorOptions { Resources = { ["accel"] = 2 } });
        await counter.Increment();
        Assert.Equal(0, (await _ray.AvailableResourcesAsync()).GetValueOrDefault("accel"));
        await _ray.KillAsync(counter);
        await Eventually.TrueAsync(async () => (await _ray.AvailableResourcesAsync()).GetValueOrDefault("accel") == 2, Deadline, "accel released");
    }

    [Fact]
    public async Task Proxies_travel_to_tasks_to_class_actors_and_to_other_grain_actors()
    {
        var counter = await _ray.CreateActorAsync<ICounterActor>();
        Assert.Equal(2, await _ray.Task(GrainActorFunctions.IncrementTwice, counter).Remote());
        var caller = _ray.Actor(() => new GrainCaller()).Remote();
        Assert.Equal(12, await caller.Task((c, x) => c.Call(x), counter).Remote());
        var other = await _ray.CreateActorAsync<ICounterActor>();
        Assert.Equal(13, await other.IncrementOther(counter));
        await _ray.KillAsync(counter);
        await _ray.KillAsync(other);
        await _ray.KillAsync(caller);
    }

    [Fact]
    public async Task Methods_take_and_return_ObjectRefs()
    {
        var counter = await _ray.CreateActorAsync<ICounterActor>();
        var five = await _ray.PutAsync(5);
        Assert.Equal(5, await counter.AddRef(five));
        var count = await counter.CountAsRef();
        Assert.Equal(5, await _ray.GetAsync(count, Deadline));
        var produced = _ray.Task(static (int x) => x * 2, 21).Remote();
        Assert.Equal(47, await counter.AddRef(produced));
        await _ray.KillAsync(counter);
    }
}
