using OrleansRay.Tests.Fixtures;
using Xunit;
using static OrleansRay.Tests.Generators.GeneratorFunctions;

namespace OrleansRay.Tests.Generators;

/// <summary>Actor methods returning IAsyncEnumerable (Ray's actor generators) on one embedded node: the caller gets an
/// ObjectRefGenerator whose items arrive while the method runs, on the actor's state.</summary>
[Collection(RayCollection.Name)]
public sealed class ActorGeneratorTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly IRay _ray;
    private readonly string _key = Guid.NewGuid().ToString("N");

    public ActorGeneratorTests(RayFixture fixture)
    {
        _ray = fixture.Ray;
    }

    public void Dispose() => Forget(_key);

    [Fact]
    public async Task Items_of_an_actor_method_arrive_while_it_runs()
    {
        var state = State(_key);
        var actor = _ray.Actor(() => new StreamingTally()).Remote();
        ObjectRefGenerator<int> generator = actor.Task((a, k) => a.Tally(k, 100, true), _key).Remote();
        var seen = new List<int>();
        // Items delivered only at the end would never open the gate: the deadline turns that into a failure, not a hang.
        using var deadline = new CancellationTokenSource(Deadline);
        await foreach (var item in generator.WithCancellation(deadline.Token))
        {
            var value = await item;
            if (seen.Count == 0)
            {
                // The method waits at item 1 until this gate opens: item 0 reached the caller while it was running.
                Assert.Equal(1, Volatile.Read(ref state.Produced));
                state.Gate.SetResult();
            }

            seen.Add(value);
        }

        Assert.Equal(Enumerable.Range(1, 100), seen);
        Assert.Equal(100, await generator.Completion);
        Assert.Equal(100, await actor.Task(a => a.Total()).Remote());
    }

    [Fact]
    public async Task Two_generator_calls_run_one_after_the_other_on_the_actors_state()
    {
        var actor = _ray.Actor(() => new StreamingTally()).Remote();

        // Both submitted before either is consumed; the second is read first. A sync actor runs one call at a time, in
        // the caller's order: the second starts after the first ended, and continues its running total.
        var first = actor.Task((a, k) => a.Tally(k, 50, false), _key).Remote();
        var second = actor.Task((a, k) => a.Tally(k, 50, false), _key).Remote();
        var secondItems = new List<int>();
        await foreach (var item in second)
        {
            secondItems.Add(await item);
        }

        var firstItems = new List<int>();
        await foreach (var item in first)
        {
            firstItems.Add(await item);
        }

        Assert.Equal(Enumerable.Range(1, 50), firstItems);
        Assert.Equal(Enumerable.Range(51, 50), secondItems);
        Assert.Equal(1, await actor.Task(a => a.MaxRunning()).Remote());
    }

    [Fact]
    public async Task An_async_actor_runs_its_other_calls_while_a_generator_waits()
    {
        var state = State(_key);
        var actor = _ray.Actor(() => new AsyncStreamingTally()).Remote();

        var generator = actor.Task((a, k) => a.Gated(k), _key).Remote();
        await using var items = generator.GetAsyncEnumerator();
        Assert.True(await items.MoveNextAsync());
        Assert.Equal(0, await items.Current);

        // The generator is still running (it waits for the gate); an async actor interleaves calls at awaits.
        Assert.Equal(1, await _ray.GetAsync(actor.Task(a => a.Ping()).Remote(), Deadline));
        state.Gate.SetResult();
        Assert.True(await items.MoveNextAsync());
        Assert.Equal(1, await items.Current);
        Assert.False(await items.MoveNextAsync());
    }

    [Fact]
    public async Task An_exception_after_k_items_surfaces_at_item_k_plus_1_and_the_actor_lives_on()
    {
        var actor = _ray.Actor(() => new StreamingTally()).Remote();

        var generator = actor.Task(a => a.FailAt(30)).Remote();
        var seen = new List<int>();
        var error = await Assert.ThrowsAsync<RayTaskException>(async () =>
        {
            await foreach (var item in generator)
            {
                seen.Add(await item);
            }
        });

        Assert.Equal(Enumerable.Range(1, 30), seen);
        Assert.Contains("actor method failed at item 30", error.Message, StringComparison.Ordinal);
        Assert.Equal(typeof(InvalidOperationException).FullName, error.OriginalExceptionType);
        Assert.Equal(30, await actor.Task(a => a.Total()).Remote());
    }

    [Fact]
    public async Task Cancelling_the_generator_stops_the_method_through_its_token()
    {
        var state = State(_key);
        var actor = _ray.Actor(() => new StreamingTally()).Remote();

        // The method yields 10 items, then waits on its RayContext.CancellationToken: only the cancel can end it.
        var generator = actor.Task((a, k) => a.StallAfter(k, 10), _key).Remote();
        var seen = 0;
        await Assert.ThrowsAsync<TaskCancelledException>(async () =>
        {
            await foreach (var item in generator)
            {
                Assert.Equal(seen, await item);
                if (++seen == 10)
                {
                    await _ray.CancelAsync(generator);
                }
            }
        });

        Assert.Equal(10, seen);
        await Eventually.TrueAsync(() => state.Stopped, Deadline, "the method's enumerator was disposed (its finally ran)");
        Assert.True(state.TokenFired, "the method's RayContext.CancellationToken fired");
        // The sync actor runs its next call once the generator stopped.
        Assert.Equal(0, await actor.Task(a => a.Total()).Remote());
    }

    [Fact]
    public async Task Cancelling_a_bounded_generator_stops_the_method_within_the_bound()
    {
        var state = State(_key);
        var actor = _ray.Actor(() => new StreamingTally()).Remote();

        var generator = actor.Task((a, k) => a.Endless(k), _key).Options(new ActorCallOptions { GeneratorBackpressureNumObjects = 4 }).Remote();
        var seen = 0;
        await Assert.ThrowsAsync<TaskCancelledException>(async () =>
        {
            await foreach (var item in generator)
            {
                Assert.Equal(seen, await item);
                if (++seen == 10)
                {
                    await _ray.CancelAsync(generator);
                }
            }
        });

        Assert.InRange(seen, 10, 10 + 4);
        await Eventually.TrueAsync(() => state.Stopped, Deadline, "the method's enumerator was disposed (its finally ran)");
        Assert.InRange(Volatile.Read(ref state.Produced), 10, 10 + 4 + 1);
        // The sync actor runs its next call once the generator stopped.
        Assert.Equal(0, await actor.Task(a => a.Total()).Remote());
    }

    [Fact]
    public async Task Leaving_the_loop_early_stops_the_method()
    {
        var state = State(_key);
        var actor = _ray.Actor(() => new StreamingTally()).Remote();

        var generator = actor.Task((a, k) => a.Endless(k), _key).Options(new ActorCallOptions { GeneratorBackpressureNumObjects = 8 }).Remote();
        var seen = 0;
        await foreach (var item in generator)
        {
            if (++seen == 20)
            {
                break;
            }
        }

        await Eventually.TrueAsync(() => state.Stopped, Deadline, "the method's enumerator was disposed (its finally ran)");
        await Assert.ThrowsAsync<TaskCancelledException>(async () => await generator.Completion);
    }

    [Fact]
    public void A_bad_backpressure_bound_is_refused_at_the_call()
    {
        var actor = _ray.Actor(() => new StreamingTally()).Remote();

        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            actor.Task((a, k) => a.Endless(k), _key).Options(new ActorCallOptions { GeneratorBackpressureNumObjects = 0 }).Remote());
        Assert.Contains("GeneratorBackpressureNumObjects", error.Message, StringComparison.Ordinal);
    }
}
