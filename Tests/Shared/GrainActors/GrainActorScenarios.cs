using Xunit;

namespace OrleansRay.TestGrainActors;

/// <summary>The class-actor scenarios for an actor behind a grain interface, written once against an IRay: the embedded
/// tests (GrainActorTests) and the connected ones on several nodes (GrainActorDistributedTests) run each.</summary>
public static class GrainActorScenarios
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static ActorOptions On(SchedulingStrategy? on) => new() { SchedulingStrategy = on ?? SchedulingStrategy.Default };

    public static async Task A_typed_proxy_is_called_directly_and_keeps_state_and_user_exceptions_keep_their_type(IRay ray, SchedulingStrategy? on = null)
    {
        var counter = await ray.CreateActorAsync<ICounterActor>(On(on));
        Assert.Equal(1, await counter.Increment());
        Assert.Equal(6, await counter.Add(5));
        Assert.Equal(6, await counter.Get());
        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => counter.Fail("bad input"));
        Assert.Equal("bad input", failed.Message);
        // The application's own exception type, with no codec of its own, arrives as itself too, its cause with it.
        var custom = await Assert.ThrowsAsync<ShardMissingException>(() => counter.FailWithShard("shard 7"));
        Assert.Equal("shard 7", custom.Message);
        Assert.Equal("disk gone", Assert.IsType<IOException>(custom.InnerException).Message);
        Assert.Equal(6, await counter.Get());
        await ray.KillAsync(counter);
    }

    public static async Task The_order_stamp_reaches_neither_the_method_nor_the_callers_later_calls(IRay ray, SchedulingStrategy? on = null)
    {
        var counter = await ray.CreateActorAsync<ICounterActor>(On(on));
        var pending = counter.SeesOrderStamp();
        // The stamp travels in the request itself: neither the caller's request context nor the method's sees it.
        Assert.Empty(Orleans.Runtime.RequestContext.Keys);
        Assert.False(await pending);
        Assert.False(await counter.SeesOrderStamp());
        Assert.Empty(Orleans.Runtime.RequestContext.Keys);
        await ray.KillAsync(counter);
    }

    public static async Task A_thousand_unawaited_calls_of_one_caller_run_in_the_order_made(IRay ray, SchedulingStrategy? on = null)
    {
        var counter = await ray.CreateActorAsync<ICounterActor>(On(on));
        var calls = Enumerable.Range(0, 1000).Select(i => counter.Append(i)).ToList();
        await Task.WhenAll(calls).WaitAsync(Deadline);
        Assert.Equal(Enumerable.Range(0, 1000).ToList(), await counter.Log());
        await ray.KillAsync(counter);
    }

    public static async Task MaxConcurrency_bounds_the_calls_inside_the_actor_at_once(IRay ray, SchedulingStrategy? on = null)
    {
        var gates = await ray.CreateActorAsync<IGateActor>(new ActorOptions { MaxConcurrency = 100, SchedulingStrategy = on ?? SchedulingStrategy.Default });
        foreach (var limit in new[] { 1, 3 })
        {
            var group = $"conc-{limit}";
            var counter = await ray.CreateActorAsync<ICounterActor>(new ActorOptions { SchedulingStrategy = on ?? SchedulingStrategy.Default, MaxConcurrency = limit });
            var calls = Enumerable.Range(0, 5).Select(i => counter.Hold(gates, $"{group}.{i}")).ToList();
            await EventuallyAsync(async () => (await gates.Of(group))[0] == limit, Deadline, $"{limit} calls inside");
            for (var i = 0; i < 5; i++)
            {
                await gates.Open($"{group}.{i}");
            }

            await Task.WhenAll(calls).WaitAsync(Deadline);
            Assert.Equal(limit, (await gates.Of(group))[1]);
            await ray.KillAsync(counter);
        }

        await ray.KillAsync(gates);
    }

    public static async Task A_named_actor_is_found_by_name_and_its_name_is_unique_until_it_dies(IRay ray, SchedulingStrategy? on = null)
    {
        var name = "grain-" + Guid.NewGuid().ToString("N");
        var counter = await ray.CreateActorAsync<ICounterActor>(new ActorOptions { SchedulingStrategy = on ?? SchedulingStrategy.Default, Name = name });
        await counter.Add(7);
        var again = await ray.GetActorProxyAsync<ICounterActor>(name);
        Assert.Equal(8, await again.Increment());
        await Assert.ThrowsAsync<ArgumentException>(() => ray.CreateActorAsync<ICounterActor>(new ActorOptions { SchedulingStrategy = on ?? SchedulingStrategy.Default, Name = name }));
        // Ray's get_if_exists: the live actor, its state kept; of another contract, refused.
        var gotten = await ray.CreateActorAsync<ICounterActor>(new ActorOptions { SchedulingStrategy = on ?? SchedulingStrategy.Default, Name = name, GetIfExists = true });
        Assert.Equal(9, await gotten.Increment());
        var other = await Assert.ThrowsAsync<ArgumentException>(() => ray.CreateActorAsync<IBrokenActor>(new ActorOptions { Name = name, GetIfExists = true }));
        Assert.Contains("cannot give it as one", other.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => ray.GetActorProxyAsync<IBrokenActor>(name));
        // The class actors' lookup would give a handle whose calls fail: refused, naming the lookup to use.
        var classLookup = await Assert.ThrowsAsync<ArgumentException>(() => ray.GetActorAsync<ICounterActor>(name));
        Assert.Contains($"GetActorProxyAsync<{nameof(ICounterActor)}>(\"{name}\")", classLookup.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ActorNotFoundException>(() => ray.GetActorProxyAsync<ICounterActor>(name, "another-namespace"));

        await ray.KillAsync(counter);
        await Assert.ThrowsAsync<ActorNotFoundException>(() => ray.GetActorProxyAsync<ICounterActor>(name));
        var reborn = await ray.CreateActorAsync<ICounterActor>(new ActorOptions { SchedulingStrategy = on ?? SchedulingStrategy.Default, Name = name });
        Assert.Equal(0, await reborn.Get());
        await ray.KillAsync(reborn);
    }

    public static async Task After_a_kill_every_call_throws_ActorDiedException(IRay ray, SchedulingStrategy? on = null)
    {
        var counter = await ray.CreateActorAsync<ICounterActor>(new ActorOptions { SchedulingStrategy = on ?? SchedulingStrategy.Default, MaxRestarts = 3 });
        await counter.Increment();
        await ray.KillAsync(counter);
        var died = await Assert.ThrowsAsync<ActorDiedException>(() => counter.Increment());
        Assert.Contains("killed", died.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ActorDiedException>(() => counter.Get());
        await ray.KillAsync(counter); // a second kill is harmless, as in Ray

        // A proxy of an id this cluster never created (Orleans' factory, not CreateActorAsync) is refused, not
        // recorded as a dead actor.
        var stray = ray.GrainFactory.GetGrain<ICounterActor>(Guid.NewGuid());
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => ray.KillAsync(stray));
        Assert.Contains($"GrainFactory.GetGrain<{nameof(ICounterActor)}>(id)", refused.Message, StringComparison.Ordinal);
    }

    public static async Task A_kill_with_restart_starts_a_fresh_instance_until_MaxRestarts_is_used_up(IRay ray, SchedulingStrategy? on = null)
    {
        var counter = await ray.CreateActorAsync<ICounterActor>(new ActorOptions { SchedulingStrategy = on ?? SchedulingStrategy.Default, MaxRestarts = 1 });
        Assert.Equal(5, await counter.Add(5));
        await ray.KillAsync(counter, noRestart: false);
        Assert.Equal(0, await counter.Get());
        Assert.Equal(1, await counter.Increment());

        await ray.KillAsync(counter, noRestart: false); // no restarts left: it dies
        await Assert.ThrowsAsync<ActorDiedException>(() => counter.Get());
    }

    public static async Task An_actor_whose_start_throws_fails_every_call_with_ActorDiedException_carrying_the_cause(IRay ray, SchedulingStrategy? on = null)
    {
        var broken = await ray.CreateActorAsync<IBrokenActor>(On(on));
        var first = await Assert.ThrowsAsync<ActorDiedException>(() => broken.Ping());
        Assert.Contains("cannot start: no configuration", first.Message, StringComparison.Ordinal);
        var second = await Assert.ThrowsAsync<ActorDiedException>(() => broken.Ping());
        Assert.Contains("cannot start: no configuration", second.Message, StringComparison.Ordinal);
    }

    /// <param name="resource">A custom resource only this actor uses, with <paramref name="amount"/> of it in the cluster.</param>
    public static async Task Its_resources_are_held_while_it_lives_and_released_when_it_dies(IRay ray, SchedulingStrategy? on = null, string resource = "accel", double amount = 2)
    {
        var counter = await ray.CreateActorAsync<ICounterActor>(new ActorOptions { SchedulingStrategy = on ?? SchedulingStrategy.Default, Resources = { [resource] = amount } });
        await counter.Increment();
        await EventuallyAsync(async () => (await ray.AvailableResourcesAsync()).GetValueOrDefault(resource) == 0, Deadline, $"all {resource} held by the actor");
        await ray.KillAsync(counter);
        await EventuallyAsync(async () => (await ray.AvailableResourcesAsync()).GetValueOrDefault(resource) == amount, Deadline, $"the {resource} released");
    }

    public static async Task Actors_live_in_their_placement_group_bundle(IRay ray, SchedulingStrategy? on = null)
    {
        var pg = await ray.CreatePlacementGroupAsync(new[] { new Bundle { ["CPU"] = 1 }, new Bundle { ["CPU"] = 1 } }, PlacementStrategy.Spread);
        try
        {
            await pg.ReadyAsync().WaitAsync(Deadline);
            for (var bundle = 0; bundle < 2; bundle++)
            {
                var inBundle = new TaskOptions { PlacementGroup = pg, BundleIndex = bundle };
                var bundleNode = await ray.GetAsync(ray.Task(GrainActorFunctions.Node).Options(inBundle).Remote(), Deadline);
                var actor = await ray.CreateActorAsync<ICounterActor>(new ActorOptions { NumCpus = 1, PlacementGroup = pg, BundleIndex = bundle });
                Assert.Equal(bundleNode, await actor.Node());
                await ray.KillAsync(actor);
            }
        }
        finally
        {
            await ray.RemovePlacementGroupAsync(pg);
        }
    }

    public static async Task Proxies_travel_to_tasks_to_class_actors_and_to_other_grain_actors(IRay ray, SchedulingStrategy? on = null)
    {
        var counter = await ray.CreateActorAsync<ICounterActor>(On(on));
        Assert.Equal(2, await ray.Task(GrainActorFunctions.IncrementTwice, counter).Remote());
        var caller = ray.Actor(() => new GrainCaller()).Remote();
        Assert.Equal(12, await caller.Task(GrainCaller.CallOn, counter).Remote());
        var other = await ray.CreateActorAsync<ICounterActor>(On(on));
        Assert.Equal(13, await other.IncrementOther(counter));
        await ray.KillAsync(counter);
        await ray.KillAsync(other);
        await ray.KillAsync(caller);
    }

    public static async Task Methods_take_and_return_ObjectRefs(IRay ray, SchedulingStrategy? on = null)
    {
        var counter = await ray.CreateActorAsync<ICounterActor>(On(on));
        var five = await ray.PutAsync(5);
        Assert.Equal(5, await counter.AddRef(five));
        var count = await counter.CountAsRef();
        Assert.Equal(5, await ray.GetAsync(count, Deadline));
        var produced = ray.Task(GrainActorFunctions.Double, 21).Remote();
        Assert.Equal(47, await counter.AddRef(produced));
        await ray.KillAsync(counter);
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition, TimeSpan timeout, string because)
    {
        var deadline = DateTime.UtcNow + timeout;
        var delay = 5;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Not within {timeout.TotalSeconds:0} s: {because}.");
            }

            await Task.Delay(delay);
            delay = Math.Min(delay * 2, 200);
        }
    }
}
