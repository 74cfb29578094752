using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.AsyncActors;

/// <summary>Async actors and concurrency groups (Ray's), run against any IRay: an embedded node, or a connected driver
/// with the actor on another node (<paramref name="on"/>).</summary>
public static class AsyncActorScenarios
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private static ActorOptions On(SchedulingStrategy? on) => new() { SchedulingStrategy = on ?? SchedulingStrategy.Default };

    public static async Task An_async_actor_runs_awaiting_calls_concurrently_but_never_two_at_the_same_instant(IRay ray, SchedulingStrategy? on = null)
    {
        var actor = ray.Actor(() => new AsyncGateActor()).Options(On(on)).Remote();
        var calls = Enumerable.Range(0, 100).Select(i => actor.Task((a, k) => a.Wait(k), i).Remote()).ToArray();

        // All 100 are inside, waiting on the gate, before it opens: Ray's async actor (max_concurrency 1000).
        await Eventually.TrueAsync(async () => await actor.Task(a => a.Inside()).Remote() == 100, Deadline, "all 100 calls get inside before the gate opens");
        Assert.True(await actor.Task(a => a.Open()).Remote());
        Assert.Equal(Enumerable.Range(0, 100), await ray.GetAsync(calls, Deadline));

        // ...yet their code never ran on two threads at once: one exclusive context, as Ray's one event loop.
        Assert.Equal(1, await actor.Task(a => a.MaxOverlap()).Remote());
        Assert.Equal(0, await actor.Task(a => a.Inside()).Remote());
    }

    public static async Task An_actor_that_is_not_async_runs_its_async_methods_one_at_a_time(IRay ray, SchedulingStrategy? on = null)
    {
        var actor = ray.Actor(() => new SyncStepActor()).Options(On(on)).Remote();
        var calls = Enumerable.Range(0, 20).Select(i => actor.Task((a, k) => a.Step(k), i).Remote()).ToArray();
        Assert.Equal(Enumerable.Range(0, 20), await ray.GetAsync(calls, Deadline));
        Assert.Equal(1, await actor.Task(a => a.Max()).Remote());
    }

    public static async Task One_callers_calls_start_in_submission_order(IRay ray, SchedulingStrategy? on = null)
    {
        var actor = ray.Actor(() => new AsyncGateActor()).Options(On(on)).Remote();
        var calls = Enumerable.Range(0, 300).Select(i => actor.Task((a, k) => a.Record(k), i).Remote()).ToArray();
        await ray.GetAsync(calls, Deadline);
        Assert.Equal(Enumerable.Range(0, 300), await actor.Task(a => a.Started()).Remote());
    }

    public static async Task Each_concurrency_group_has_its_own_limit_and_a_full_group_holds_up_no_other(IRay ray, SchedulingStrategy? on = null)
    {
        var options = On(on);
        options.ConcurrencyGroups["io"] = 2;
        options.ConcurrencyGroups["compute"] = 1;
        var actor = ray.Actor(() => new GroupedAsyncActor()).Options(options).Remote();

        var fetches = Enumerable.Range(0, 6).Select(i => actor.Task((a, k) => a.Fetch(k), i).Remote()).ToArray();
        await Eventually.TrueAsync(async () => (await actor.Task(a => a.Io()).Remote())[0] == 2, Deadline, "two io calls are inside");

        // "io" is full and blocked on the gate; "compute" still runs, one call at a time.
        var computes = Enumerable.Range(0, 8).Select(i => actor.Task((a, k) => a.Compute(k), i).Remote()).ToArray();
        Assert.Equal(Enumerable.Range(0, 8).Select(i => i * i), await ray.GetAsync(computes, Deadline));
        Assert.Equal(1, await actor.Task(a => a.ComputeMax()).Remote());
        Assert.Equal(new[] { 2, 2 }, await actor.Task(a => a.Io()).Remote());

        Assert.True(await actor.Task(a => a.Open()).Remote());
        Assert.Equal(Enumerable.Range(0, 6), await ray.GetAsync(fetches, Deadline));
        Assert.Equal(new[] { 0, 2 }, await actor.Task(a => a.Io()).Remote());
    }

    public static async Task A_per_call_group_puts_a_method_in_that_groups_slots(IRay ray, SchedulingStrategy? on = null)
    {
        var options = On(on);
        options.ConcurrencyGroups["io"] = 2;
        var actor = ray.Actor(() => new GroupedAsyncActor()).Options(options).Remote();
        var io = new ActorCallOptions { ConcurrencyGroup = "io" };
        var held = Enumerable.Range(0, 5).Select(i => actor.Task((a, k) => a.Hold(k), i).Options(io).Remote()).ToArray();
        await Eventually.TrueAsync(async () => (await actor.Task(a => a.Held()).Remote())[0] == 2, Deadline, "two held calls are inside");

        // Without the option Hold is in the default group (1000 slots): these three get in at once beside the two.
        var free = Enumerable.Range(5, 3).Select(i => actor.Task((a, k) => a.Hold(k), i).Remote()).ToArray();
        await Eventually.TrueAsync(async () => (await actor.Task(a => a.Held()).Remote())[0] == 5, Deadline, "the three default-group calls join the two io calls");

        Assert.True(await actor.Task(a => a.Open()).Remote());
        Assert.Equal(Enumerable.Range(0, 8), await ray.GetAsync(held.Concat(free).ToArray(), Deadline));
        Assert.Equal(new[] { 0, 5 }, await actor.Task(a => a.Held()).Remote());
    }

    public static async Task A_threaded_actors_groups_run_on_threads_and_a_blocked_group_holds_up_no_other(IRay ray, SchedulingStrategy? on = null)
    {
        var options = On(on);
        options.ConcurrencyGroups["io"] = 2;
        options.ConcurrencyGroups["compute"] = 1;
        var actor = ray.Actor(() => new GroupedThreadedActor()).Options(options).Remote();
        var blocked = Enumerable.Range(0, 4).Select(i => actor.Task((a, k) => a.Block(k), i).Remote()).ToArray();
        await Eventually.TrueAsync(async () => (await actor.Task(a => a.Io()).Remote())[0] == 2, Deadline, "two io calls block their threads");

        var computes = Enumerable.Range(0, 5).Select(_ => actor.Task(a => a.Compute()).Remote()).ToArray();
        Assert.Equal(Enumerable.Range(1, 5), (await ray.GetAsync(computes, Deadline)).Order());

        Assert.True(await actor.Task(a => a.Release()).Remote());
        Assert.Equal(Enumerable.Range(0, 4), await ray.GetAsync(blocked, Deadline));
        Assert.Equal(new[] { 0, 2 }, await actor.Task(a => a.Io()).Remote());
    }

    public static async Task A_call_of_a_group_the_actor_lacks_is_refused_naming_its_groups(IRay ray, SchedulingStrategy? on = null)
    {
        var options = On(on);
        options.ConcurrencyGroups["io"] = 2;
        options.ConcurrencyGroups["compute"] = 1;
        var actor = ray.Actor(() => new GroupedAsyncActor()).Options(options).Remote();

        var ex = Assert.Throws<ArgumentException>(() => actor.Task((a, k) => a.Hold(k), 1).Options(new ActorCallOptions { ConcurrencyGroup = "gpu" }).Remote());
        Assert.Contains("no concurrency group 'gpu'", ex.Message);
        Assert.Contains("'compute', 'io'", ex.Message);
        Assert.Contains("ActorOptions.ConcurrencyGroups", ex.Message);

        // A method's group the actor was not given: refused the same way.
        var ioOnly = On(on);
        ioOnly.ConcurrencyGroups["io"] = 1;
        var partial = ray.Actor(() => new GroupedAsyncActor()).Options(ioOnly).Remote();
        var missing = Assert.Throws<ArgumentException>(() => partial.Task((a, k) => a.Compute(k), 3).Remote());
        Assert.Contains("no concurrency group 'compute'", missing.Message);
        Assert.Contains("'io'", missing.Message);

        // An actor with no groups, through a handle looked up by name: this node created it, so it knows it has none.
        var name = "groupless-" + Guid.NewGuid().ToString("N");
        var named = On(on);
        named.Name = name;
        _ = ray.Actor(() => new GroupedAsyncActor()).Options(named).Remote();
        var found = await ray.GetActorAsync<GroupedAsyncActor>(name);
        var refused = Assert.Throws<ArgumentException>(() => found.Task((a, k) => a.Compute(k), 3).Remote());
        Assert.Contains("no concurrency group 'compute'", refused.Message);
        Assert.Contains("none", refused.Message);

        // The actors still work.
        Assert.Equal(9, await actor.Task((a, k) => a.Compute(k), 3).Remote());
        Assert.True(await partial.Task(a => a.Open()).Remote());
    }

    public static async Task A_plain_actor_without_groups_refuses_a_call_naming_a_group(IRay ray, SchedulingStrategy? on = null)
    {
        var actor = ray.Actor(() => new PlainGroupedActor()).Options(On(on)).Remote();

        var perCall = Assert.Throws<ArgumentException>(() => actor.Task((a, k) => a.Echo(k), 1).Options(new ActorCallOptions { ConcurrencyGroup = "typo" }).Remote());
        Assert.Contains("no concurrency group 'typo'", perCall.Message);
        Assert.Contains("none", perCall.Message);

        var method = Assert.Throws<ArgumentException>(() => actor.Task((a, k) => a.Io(k), 2).Remote());
        Assert.Contains("no concurrency group 'io'", method.Message);
        Assert.Contains("none", method.Message);

        // The actor still works without a group.
        Assert.Equal(3, await actor.Task((a, k) => a.Echo(k), 3).Remote());
    }

    /// <summary>A plain actor without groups created by a task on another node (<paramref name="far"/>): the caller here
    /// does not know its groups, so the actor's host refuses the call and awaiting its result throws the explanation.</summary>
    public static async Task A_plain_actor_made_elsewhere_refuses_a_group_on_its_host(IRay ray, SchedulingStrategy far)
    {
        var name = await ray.Task(PlainGroupedActor.CreateNamed, "plain-" + Guid.NewGuid().ToString("N"), ray.Namespace).Options(new TaskOptions { SchedulingStrategy = far }).Remote();
        var found = await ray.GetActorAsync<PlainGroupedActor>(name);

        var perCall = await Assert.ThrowsAnyAsync<RayException>(async () => await ray.GetAsync(found.Task((a, k) => a.Echo(k), 1).Options(new ActorCallOptions { ConcurrencyGroup = "typo" }).Remote(), Deadline));
        Assert.Contains("no concurrency group 'typo'", perCall.Message);
        Assert.Contains("none", perCall.Message);

        var method = await Assert.ThrowsAnyAsync<RayException>(async () => await ray.GetAsync(found.Task((a, k) => a.Io(k), 2).Remote(), Deadline));
        Assert.Contains("no concurrency group 'io'", method.Message);

        Assert.Equal(3, await ray.GetAsync(found.Task((a, k) => a.Echo(k), 3).Remote(), Deadline));
    }

    public static async Task A_call_waiting_for_its_groups_slot_can_be_cancelled_and_dies_with_the_actor(IRay ray, SchedulingStrategy? on = null)
    {
        var options = On(on);
        options.ConcurrencyGroups["io"] = 1;
        var actor = ray.Actor(() => new GroupedAsyncActor()).Options(options).Remote();
        var first = actor.Task((a, k) => a.Fetch(k), 0).Remote();
        await Eventually.TrueAsync(async () => (await actor.Task(a => a.Io()).Remote())[0] == 1, Deadline, "the first io call is inside");

        // The second waits for the group's only slot: cancelled there, it never runs; the third runs after the first.
        var second = actor.Task((a, k) => a.Fetch(k), 1).Remote();
        var third = actor.Task((a, k) => a.Fetch(k), 2).Remote();
        // A later call of this caller answered: the two io calls before it reached the actor (it takes each caller's
        // calls in order) and wait in their group.
        Assert.Equal(1, (await actor.Task(a => a.Io()).Remote())[0]);
        await ray.CancelAsync(second);
        await Assert.ThrowsAsync<TaskCancelledException>(async () => await second);
        Assert.True(await actor.Task(a => a.Open()).Remote());
        Assert.Equal(new[] { 0, 2 }, await ray.GetAsync(new[] { first, third }, Deadline));
        Assert.Equal(new[] { 0, 2 }, await actor.Task(a => a.Fetched()).Remote());

        // Killed while one call runs and another waits for its slot: both fail with ActorDiedException.
        var doomed = ray.Actor(() => new GroupedAsyncActor()).Options(options).Remote();
        var running = doomed.Task((a, k) => a.Fetch(k), 0).Remote();
        await Eventually.TrueAsync(async () => (await doomed.Task(a => a.Io()).Remote())[0] == 1, Deadline, "the io call is inside");
        var waiting = doomed.Task((a, k) => a.Fetch(k), 1).Remote();
        Assert.Equal(1, (await doomed.Task(a => a.Io()).Remote())[0]); // as above: the waiting call is in its group
        await ray.KillAsync(doomed);
        await Assert.ThrowsAsync<ActorDiedException>(async () => await running);
        await Assert.ThrowsAsync<ActorDiedException>(async () => await waiting);
    }
}
