using OrleansRay.Tests.Actors;
using OrleansRay.Tests.Fixtures;
using OrleansRay.Tests.Functions;
using Xunit;

namespace OrleansRay.Tests;

[Collection(RayCollection.Name)]
public sealed class ActorTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly IRay _ray;

    public ActorTests(RayFixture fixture) => _ray = fixture.Ray;

    [Fact]
    public async Task Counter_methods_see_the_state_earlier_calls_left()
    {
        ActorHandle<Counter> c = _ray.Actor(() => new Counter(0)).Remote();
        ObjectRef<int> one = c.Task(x => x.Increment()).Remote();
        ObjectRef<int> six = c.Task((x, k) => x.Add(k), 5).Remote();
        int n = await c.Task(x => x.SlowGet()).Remote();
        Assert.Equal(1, await one);
        Assert.Equal(6, await six);
        Assert.Equal(6, n);
    }

    [Fact]
    public async Task Constructor_arguments_are_evaluated_in_the_caller()
    {
        var start = 40;
        var c = _ray.Actor(() => new Counter(start + 1)).Remote();
        Assert.Equal(42, await c.Task(x => x.Increment()).Remote());
    }

    [Fact]
    public async Task Method_arguments_may_be_refs()
    {
        var c = _ray.Actor(() => new Counter(0)).Remote();
        var k = _ray.Task(TestFunctions.Square, 3).Remote();
        Assert.Equal(9, await c.Task((x, v) => x.Add(v), k).Remote());
    }

    [Fact]
    public async Task Calls_submitted_without_awaiting_run_in_submission_order()
    {
        var recorder = _ray.Actor(() => new Recorder()).Remote();
        var refs = new List<ObjectRef<int>>();
        for (var i = 0; i < 2000; i++)
        {
            refs.Add(i % 3 == 0
                ? recorder.Task((r, v) => r.RecordSlowly(v, 0), i).Remote()
                : recorder.Task((r, v) => r.Record(v), i).Remote());
        }

        var counts = await _ray.GetAsync(refs, Deadline);
        Assert.Equal(Enumerable.Range(1, 2000), counts);
        Assert.Equal(Enumerable.Range(0, 2000), await recorder.Task(r => r.Seen()).Remote());
    }

    [Fact]
    public async Task A_call_waiting_for_a_slow_ref_argument_keeps_later_calls_of_the_same_caller_behind_it()
    {
        var recorder = _ray.Actor(() => new Recorder()).Remote();
        var gate = Guid.NewGuid().ToString();
        var slow = _ray.Task(TestFunctions.WaitForGate, gate).Remote();
        var first = recorder.Task((r, v) => r.Record(v), slow).Remote();
        var second = recorder.Task((r, v) => r.Record(v), 2).Remote();
        var early = await _ray.WaitAsync(new[] { second }, 1, TimeSpan.FromMilliseconds(100));
        Assert.Empty(early.Ready);
        Gates.Get(gate).Set();
        Assert.Equal(1, await _ray.GetAsync(first, Deadline));
        Assert.Equal(2, await _ray.GetAsync(second, Deadline));
        Assert.Equal(new[] { 1, 2 }, await recorder.Task(r => r.Seen()).Remote());
    }

    [Fact]
    public async Task MaxConcurrency_lets_calls_overlap_and_the_default_does_not()
    {
        var serial = _ray.Actor(() => new ConcurrencyProbe()).Remote();
        await _ray.GetAsync(Enumerable.Range(0, 6).Select(_ => serial.Task((p, d) => p.Enter(d), 30).Remote()).ToArray(), Deadline);
        Assert.Equal(1, await serial.Task(p => p.Max()).Remote());

        var parallel = _ray.Actor(() => new ConcurrencyProbe()).Options(new ActorOptions { MaxConcurrency = 4 }).Remote();
        var gate = Guid.NewGuid().ToString();
        var calls = Enumerable.Range(0, 8).Select(_ => parallel.Task((p, g) => p.EnterUntil(g), gate).Remote()).ToArray();
        await Eventually.TrueAsync(() => Counters.Get(gate + ".running") == 4, Deadline, "four calls run at once");
        Gates.Get(gate).Set();
        await _ray.GetAsync(calls, Deadline);
        Assert.Equal(4, Counters.Get(gate + ".max"));
    }

    [Fact]
    public async Task Named_actors_are_found_by_name_and_names_are_unique()
    {
        var name = "counter-" + Guid.NewGuid().ToString("N");
        ActorHandle<Counter> named = _ray.Actor(() => new Counter(0))
            .Options(new ActorOptions { Name = name, Lifetime = ActorLifetime.Detached, NumCpus = 1, Resources = { ["accel"] = 1 }, MaxRestarts = 2, MaxTaskRetries = 1, MaxConcurrency = 1 })
            .Remote();
        Assert.Equal(1, await named.Task(x => x.Increment()).Remote());
        ActorHandle<Counter> same = await _ray.GetActorAsync<Counter>(name);
        Assert.Equal(named.ActorId, same.ActorId);
        Assert.Equal(2, await same.Task(x => x.Increment()).Remote());

        var dup = Assert.Throws<ArgumentException>(() => _ray.Actor(() => new Counter(0)).Options(new ActorOptions { Name = name }).Remote());
        Assert.Contains("already taken", dup.Message);
        await Assert.ThrowsAsync<ArgumentException>(() => _ray.GetActorAsync<Recorder>(name));
        await Assert.ThrowsAsync<ActorNotFoundException>(() => _ray.GetActorAsync<Counter>(name, "another-namespace"));

        await _ray.KillAsync(named);
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                await _ray.GetActorAsync<Counter>(name);
                return false;
            }
            catch (ActorNotFoundException)
            {
                return true;
            }
        }, Deadline, "a killed actor's name is free");
        var reborn = _ray.Actor(() => new Counter(10)).Options(new ActorOptions { Name = name }).Remote();
        Assert.Equal(11, await reborn.Task(x => x.Increment()).Remote());
        await _ray.KillAsync(reborn);
    }

    [Fact]
    public async Task GetActorAsync_of_an_unknown_name_throws_ActorNotFoundException()
    {
        var name = "nobody-" + Guid.NewGuid();
        var ex = await Assert.ThrowsAsync<ActorNotFoundException>(() => _ray.GetActorAsync<Counter>(name));
        Assert.Contains("No live actor", ex.Message);
        Assert.Contains($"Create it with .Options(new ActorOptions {{ Name = \"{name}\" }})", ex.Message, StringComparison.Ordinal);

        // Looked up in another namespace: the hint creates it there.
        var elsewhere = await Assert.ThrowsAsync<ActorNotFoundException>(() => _ray.GetActorAsync<Counter>(name, "ns-other"));
        Assert.Contains($"Create it with .Options(new ActorOptions {{ Name = \"{name}\", Namespace = \"ns-other\" }})", elsewhere.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Killed_actor_fails_later_calls_with_ActorDiedException()
    {
        var c = _ray.Actor(() => new Counter(0)).Remote();
        Assert.Equal(1, await c.Task(x => x.Increment()).Remote());
        await _ray.KillAsync(c);
        var ex = await Assert.ThrowsAsync<ActorDiedException>(async () => await c.Task(x => x.Increment()).Remote());
        Assert.Contains("killed", ex.Message);
    }

    [Fact]
    public async Task Kill_without_noRestart_restarts_up_to_MaxRestarts_with_fresh_state()
    {
        var key = Guid.NewGuid().ToString();
        var p = _ray.Actor(() => new Phoenix(key)).Options(new ActorOptions { MaxRestarts = 1 }).Remote();
        Assert.Equal(1, await p.Task(x => x.Generation()).Remote());
        await _ray.KillAsync(p, noRestart: false);
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                return await _ray.GetAsync(p.Task(x => x.Generation()).Remote(), Deadline) == 2;
            }
            catch (ActorDiedException)
            {
                return false; // a call that raced the restart
            }
        }, Deadline, "the actor came back with its constructor run again");
        await _ray.KillAsync(p, noRestart: false); // MaxRestarts used up: it dies
        var died = await Assert.ThrowsAsync<ActorDiedException>(async () => await p.Task(x => x.Generation()).Remote());
        Assert.Equal(2, Counters.Get(key));
        // The death cause says why a kill that allowed a restart ended it (Ray names it): no restarts were left.
        Assert.Contains("was killed with no restarts left (MaxRestarts = 1, all used)", died.Message, StringComparison.Ordinal);
        Assert.Contains("killed by ray.KillAsync(noRestart: false)", died.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kill_without_noRestart_of_an_actor_that_may_not_restart_says_so()
    {
        var c = _ray.Actor(() => new Counter(0)).Remote(); // MaxRestarts 0, the default
        Assert.Equal(1, await c.Task(x => x.Increment()).Remote());

        await _ray.KillAsync(c, noRestart: false);

        var died = await Assert.ThrowsAsync<ActorDiedException>(async () => await c.Task(x => x.Increment()).Remote());
        Assert.Contains("was killed and may not restart (MaxRestarts = 0)", died.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kill_with_noRestart_gives_only_its_reason()
    {
        var c = _ray.Actor(() => new Counter(0)).Options(new ActorOptions { MaxRestarts = 1 }).Remote();
        Assert.Equal(1, await c.Task(x => x.Increment()).Remote());

        await _ray.KillAsync(c);

        var died = await Assert.ThrowsAsync<ActorDiedException>(async () => await c.Task(x => x.Increment()).Remote());
        Assert.Contains("was killed: killed by ray.KillAsync", died.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_throwing_constructor_makes_every_call_fail_with_ActorDiedException_carrying_the_cause()
    {
        var a = _ray.Actor(() => new Exploding("no")).Remote();
        var ex = await Assert.ThrowsAsync<ActorDiedException>(async () => await a.Task(x => x.Never()).Remote());
        Assert.Contains("constructor refused: no", ex.Message);
        Assert.Contains(typeof(InvalidOperationException).FullName!, ex.Message);
        await Assert.ThrowsAsync<ActorDiedException>(async () => await a.Task(x => x.Never()).Remote());
    }

    [Fact]
    public async Task A_throwing_method_fails_that_call_and_the_actor_lives_on()
    {
        var target = _ray.Actor(() => new Counter(0)).Remote();
        var f = _ray.Actor(() => new Forwarder(target)).Remote();
        var ex = await Assert.ThrowsAsync<RayTaskException>(async () => await f.Task(x => x.Fail()).Remote());
        Assert.Equal(typeof(ArgumentException).FullName, ex.OriginalExceptionType);
        Assert.Contains("Fail", ex.FunctionName);
        Assert.Equal(1, await f.Task(x => x.Forward()).Remote());
    }

    [Fact]
    public async Task Handles_can_be_passed_to_tasks_and_to_other_actors()
    {
        var counter = _ray.Actor(() => new Counter(0)).Remote();
        Assert.Equal(3, await _ray.Task(TestFunctions.CallCounter, counter, 3).Remote());
        var forwarder = _ray.Actor(() => new Forwarder(counter)).Remote();
        Assert.Equal(4, await forwarder.Task(x => x.Forward()).Remote());
    }

    [Fact]
    public async Task An_actor_holds_its_resources_while_alive_and_releases_them_when_killed()
    {
        var holder = _ray.Actor(() => new Counter(0)).Options(new ActorOptions { Resources = { ["accel"] = 2 } }).Remote();
        Assert.Equal(1, await holder.Task(x => x.Increment()).Remote());
        Assert.Equal(0, (await _ray.AvailableResourcesAsync()).GetValueOrDefault("accel"));

        // A second actor wanting accel waits (pending, feasible) until the first dies.
        var waiting = _ray.Actor(() => new Counter(100)).Options(new ActorOptions { Resources = { ["accel"] = 1 } }).Remote();
        var call = waiting.Task(x => x.Increment()).Remote();
        await Eventually.TrueAsync(async () => (await _ray.PendingDemandsAsync()).Any(d => d.IsActor && !d.IsInfeasible), Deadline, "the second actor is a pending demand");
        await _ray.KillAsync(holder);
        Assert.Equal(101, await _ray.GetAsync(call, Deadline));
        await _ray.KillAsync(waiting);
        await Eventually.TrueAsync(async () => (await _ray.AvailableResourcesAsync()).GetValueOrDefault("accel") == 2, Deadline, "accel is free again");
    }

    [Fact]
    public async Task An_actor_that_fits_no_node_is_reported_infeasible()
    {
        var big = _ray.Actor(() => new Counter(0)).Options(new ActorOptions { Resources = { ["accel"] = 3 } }).Remote();
        await Eventually.TrueAsync(async () => (await _ray.PendingDemandsAsync()).Any(d => d.IsActor && d.IsInfeasible), Deadline, "the accel=3 actor is infeasible");
        await _ray.KillAsync(big);
    }

    [Fact]
    public async Task A_blocking_method_of_one_actor_does_not_stall_other_actors()
    {
        var gate = Guid.NewGuid().ToString();
        var sleeper = _ray.Actor(() => new Sleeper()).Remote();
        var sleeping = sleeper.Task((s, g) => s.BlockUntil(g), gate).Remote();
        Assert.True(Gates.Get(gate + ".blocked").Wait(Deadline), "the sleeper's method is blocking its thread");
        var c = _ray.Actor(() => new Counter(0)).Remote();
        Assert.Equal(1, await _ray.GetAsync(c.Task(x => x.Increment()).Remote(), Deadline));
        Assert.Empty((await _ray.WaitAsync(new[] { sleeping }, 1, TimeSpan.Zero)).Ready); // still blocked meanwhile
        Gates.Get(gate).Set();
        Assert.Equal(1, await _ray.GetAsync(sleeping, Deadline));
    }

    [Fact]
    public void A_constructor_expression_that_is_not_a_new_is_refused()
    {
        var ex = Assert.Throws<ArgumentException>(() => _ray.Actor(() => MakeCounter()).Remote());
        Assert.Contains("constructor call", ex.Message);
    }

    [Fact]
    public void Bad_actor_options_are_refused_naming_the_setting()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => _ray.Actor(() => new Counter(0)).Options(new ActorOptions { MaxConcurrency = 0 }).Remote());
        Assert.Contains("MaxConcurrency", ex.Message);
    }

    private static Counter MakeCounter() => new(0);
}
