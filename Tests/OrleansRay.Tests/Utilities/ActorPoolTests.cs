using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.Utilities;

[Collection(RayCollection.Name)]
public sealed class ActorPoolTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly IRay _ray;

    public ActorPoolTests(RayFixture fixture) => _ray = fixture.Ray;

    /// <summary>A pool of <paramref name="count"/> workers of a fresh ledger. Each actor could run 4 calls at once, so
    /// only the pool keeps them to one each.</summary>
    private (ActorPool<PoolWorker> Pool, PoolLedger Ledger) NewPool(int count, string test)
    {
        var key = $"{test}-{Guid.NewGuid():N}";
        var actors = Enumerable.Range(0, count)
            .Select(i => _ray.Actor(() => new PoolWorker(key, $"w{i}")).Options(new ActorOptions { MaxConcurrency = 4 }).Remote())
            .ToList();
        return (new ActorPool<PoolWorker>(actors), PoolLedger.Of(key));
    }

    [Fact]
    public async Task ActorPool_over_4_actors_maps_100_inputs_with_results_in_order()
    {
        var (pool, ledger) = NewPool(4, nameof(ActorPool_over_4_actors_maps_100_inputs_with_results_in_order));
        var inputs = Enumerable.Range(100, 100).ToList();

        var results = await pool.MapAsync((w, x) => w.Square(x), inputs).ToListAsync().AsTask().WaitAsync(Deadline);

        Assert.Equal(inputs.Select(x => x * x), results);
        Assert.Equal(["w0", "w1", "w2", "w3"], ledger.CallsPerActor.Keys.Order());
        Assert.Equal(100, ledger.CallsPerActor.Values.Sum());
        Assert.InRange(ledger.MaxRunning, 1, 4);
        Assert.Equal(1, ledger.MaxRunningOnOneActor);
        Assert.True(pool.HasFree);
        Assert.False(pool.HasNext);
    }

    [Fact]
    public async Task ActorPool_over_4_actors_maps_100_inputs_unordered_with_every_result()
    {
        var (pool, ledger) = NewPool(4, nameof(ActorPool_over_4_actors_maps_100_inputs_unordered_with_every_result));
        var inputs = Enumerable.Range(100, 100).ToList();

        var results = await pool.MapUnorderedAsync((w, x) => w.Square(x), inputs).ToListAsync().AsTask().WaitAsync(Deadline);

        Assert.Equal(inputs.Select(x => x * x).Order(), results.Order());
        Assert.Equal(4, ledger.CallsPerActor.Count);
        Assert.InRange(ledger.MaxRunning, 1, 4);
        Assert.Equal(1, ledger.MaxRunningOnOneActor);
    }

    [Fact]
    public async Task A_failing_input_raises_in_the_map_at_its_position_and_the_pool_stays_usable()
    {
        var (pool, _) = NewPool(3, nameof(A_failing_input_raises_in_the_map_at_its_position_and_the_pool_stays_usable));
        var seen = new List<int>();

        var error = await Assert.ThrowsAsync<RayTaskException>(async () =>
        {
            await foreach (var r in pool.MapAsync((w, x) => w.Square(x), Enumerable.Range(0, 30)).WithCancellation(CancellationToken.None))
            {
                seen.Add(r);
            }
        }).WaitAsync(Deadline);

        Assert.Contains("unlucky input 13", error.Message, StringComparison.Ordinal);
        Assert.Equal(Enumerable.Range(0, 13).Select(x => x * x), seen);

        // Calls after the failed one were dropped or ran to their end; the actors are free again for the next map.
        var again = await pool.MapAsync((w, x) => w.Square(x), [1, 2, 3]).ToListAsync().AsTask().WaitAsync(Deadline);
        Assert.Equal([1, 4, 9], again);
    }

    [Fact]
    public async Task Submitted_calls_are_read_in_submission_order_and_a_failure_at_its_turn()
    {
        var (pool, ledger) = NewPool(2, nameof(Submitted_calls_are_read_in_submission_order_and_a_failure_at_its_turn));
        foreach (var x in new[] { 5, 13, 7, 8, 9 })
        {
            pool.Submit((w, v) => w.SquareWhenOpen(v), x);
        }

        // Two actors, five calls: three wait in the pool for a free actor (the first two are held until the gate opens;
        // with Square they could all finish before the check on a slow machine, freeing both actors).
        Assert.False(pool.HasFree);
        Assert.True(pool.HasNext);
        ledger.Gate.SetResult();
        Assert.Equal(25, await pool.GetNextAsync<int>().WaitAsync(Deadline));
        var error = await Assert.ThrowsAsync<RayTaskException>(() => pool.GetNextAsync<int>()).WaitAsync(Deadline);
        Assert.Contains("unlucky input 13", error.Message, StringComparison.Ordinal);
        Assert.Equal(49, await pool.GetNextAsync<int>().WaitAsync(Deadline));
        Assert.Equal(64, await pool.GetNextAsync<int>().WaitAsync(Deadline));
        Assert.Equal(81, await pool.GetNextAsync<int>().WaitAsync(Deadline));
        Assert.False(pool.HasNext);
        Assert.Throws<InvalidOperationException>(() => pool.GetNextAsync<int>().GetAwaiter().GetResult());
        Assert.Equal(1, ledger.MaxRunningOnOneActor);
    }

    [Fact]
    public async Task GetNext_times_out_while_the_call_runs_and_the_result_stays_next()
    {
        var (pool, ledger) = NewPool(1, nameof(GetNext_times_out_while_the_call_runs_and_the_result_stays_next));
        pool.Submit((w, v) => w.Held(v), 42);

        var timeout = await Assert.ThrowsAsync<GetTimeoutException>(() => pool.GetNextAsync<int>(TimeSpan.FromMilliseconds(200))).WaitAsync(Deadline);
        Assert.Equal(TimeSpan.FromMilliseconds(200), timeout.Timeout);
        await Assert.ThrowsAsync<GetTimeoutException>(() => pool.GetNextUnorderedAsync<int>(TimeSpan.Zero)).WaitAsync(Deadline);
        Assert.True(pool.HasNext);

        ledger.Gate.SetResult();
        Assert.Equal(42, await pool.GetNextAsync<int>(TimeSpan.FromSeconds(30)));
        Assert.False(pool.HasNext);
    }

    [Fact]
    public async Task Unordered_reads_take_the_first_call_to_finish_and_push_gives_a_waiting_call_an_actor()
    {
        var (pool, ledger) = NewPool(1, nameof(Unordered_reads_take_the_first_call_to_finish_and_push_gives_a_waiting_call_an_actor));
        pool.Submit((w, v) => w.Held(v), 1);   // holds the only actor
        pool.Submit((w, v) => w.Square(v), 6); // waits for an actor
        Assert.Null(pool.PopIdle());
        await Assert.ThrowsAsync<GetTimeoutException>(() => pool.GetNextUnorderedAsync<int>(TimeSpan.FromMilliseconds(100))).WaitAsync(Deadline);

        Assert.True(ledger.CallsPerActor.IsEmpty, "the Square waits: the only actor is held");
        var extra = _ray.Actor(() => new PoolWorker($"extra-{Guid.NewGuid():N}", "extra")).Remote();
        pool.Push(extra);
        Assert.Throws<ArgumentException>(() => pool.Push(extra));

        // The waiting call ran on the pushed actor while the first is still held: it is the first to finish.
        Assert.Equal(36, await pool.GetNextUnorderedAsync<int>(Deadline));
        Assert.Equal(extra, pool.PopIdle());
        Assert.Equal(1, pool.Count);

        ledger.Gate.SetResult();
        Assert.Equal(1, await pool.GetNextAsync<int>(Deadline));
        Assert.False(pool.HasNext);
    }

    [Fact]
    public async Task A_pool_without_actors_refuses_to_wait_for_a_queued_call_and_a_pushed_actor_runs_it()
    {
        var (pool, _) = NewPool(2, nameof(A_pool_without_actors_refuses_to_wait_for_a_queued_call_and_a_pushed_actor_runs_it));
        var popped = pool.PopIdle()!;
        Assert.NotNull(pool.PopIdle());
        Assert.Equal(0, pool.Count);

        // The call is kept (an actor may be pushed later, as Ray's pending submits), but nothing can run it now: no
        // result to wait for, and every read says why at once instead of waiting forever.
        pool.Submit((w, v) => w.Square(v), 6);
        Assert.False(pool.HasNext);
        var ordered = await Assert.ThrowsAsync<InvalidOperationException>(() => pool.GetNextAsync<int>()).WaitAsync(Deadline);
        var unordered = await Assert.ThrowsAsync<InvalidOperationException>(() => pool.GetNextUnorderedAsync<int>()).WaitAsync(Deadline);
        var map = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await pool.MapAsync((w, x) => w.Square(x), [1, 2]).ToListAsync()).WaitAsync(Deadline);
        var mapUnordered = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await pool.MapUnorderedAsync((w, x) => w.Square(x), [1, 2]).ToListAsync()).WaitAsync(Deadline);
        foreach (var error in new[] { ordered, unordered, map, mapUnordered })
        {
            Assert.Contains("has no actors", error.Message, StringComparison.Ordinal);
            Assert.Contains("Push(actor)", error.Message, StringComparison.Ordinal);
        }

        pool.Push(popped);
        Assert.True(pool.HasNext);
        Assert.Equal(36, await pool.GetNextAsync<int>(Deadline).WaitAsync(Deadline));
        Assert.False(pool.HasNext);
        Assert.Equal([1, 4], await pool.MapAsync((w, x) => w.Square(x), [1, 2]).ToListAsync().AsTask().WaitAsync(Deadline));
    }

    [Fact]
    public async Task A_result_that_finished_before_the_last_actor_was_popped_is_still_read()
    {
        var (pool, _) = NewPool(1, nameof(A_result_that_finished_before_the_last_actor_was_popped_is_still_read));
        pool.Submit((w, v) => w.Square(v), 5);
        await Eventually.TrueAsync(() => pool.HasFree, Deadline, "the only actor finished its call and is idle again");
        Assert.NotNull(pool.PopIdle());
        pool.Submit((w, v) => w.Square(v), 6); // waits: the pool has no actor now

        Assert.True(pool.HasNext);
        Assert.Equal(25, await pool.GetNextAsync<int>(Deadline).WaitAsync(Deadline));
        Assert.False(pool.HasNext);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => pool.GetNextAsync<int>(Deadline)).WaitAsync(Deadline);
        Assert.Contains("has no actors", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_capturing_lambda_is_refused_at_submit()
    {
        var (pool, _) = NewPool(1, nameof(A_capturing_lambda_is_refused_at_submit));
        var offset = 3;
        var error = Assert.Throws<ArgumentException>(() => pool.Submit((w, v) => w.Square(v + offset), 1));
        Assert.Contains("captur", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.False(pool.HasNext);
        Assert.Throws<ArgumentException>(() => new ActorPool<PoolWorker>([]));
    }

    [Fact]
    public async Task A_submit_whose_value_cannot_be_serialized_frees_its_actor_for_the_next_submit()
    {
        var (pool, _) = NewPool(1, nameof(A_submit_whose_value_cannot_be_serialized_frees_its_actor_for_the_next_submit));

        // Twice: with one actor, a lost actor shows at the first normal submit, and a second failure must not lose it either.
        for (var i = 0; i < 2; i++)
        {
            var error = Assert.Throws<ArgumentException>(() => pool.Submit((w, v) => w.Measure(v), (object)new NotSerializable()));
            Assert.Contains("cannot be serialized", error.Message, StringComparison.Ordinal);
            Assert.False(pool.HasNext);
            Assert.True(pool.HasFree);
        }

        pool.Submit((w, v) => w.Square(v), 6);
        Assert.Equal(36, await pool.GetNextAsync<int>(Deadline).WaitAsync(Deadline));
        Assert.False(pool.HasNext);
    }

    [Fact]
    public async Task A_map_whose_value_cannot_be_serialized_raises_and_frees_its_actor_for_the_next_map()
    {
        var (pool, _) = NewPool(1, nameof(A_map_whose_value_cannot_be_serialized_raises_and_frees_its_actor_for_the_next_map));

        await Assert.ThrowsAsync<ArgumentException>(async () =>
            await pool.MapAsync((w, v) => w.Measure(v), [(object)new NotSerializable()]).ToListAsync()).WaitAsync(Deadline);
        Assert.True(pool.HasFree);

        var again = await pool.MapAsync((w, x) => w.Square(x), [1, 2, 3]).ToListAsync().AsTask().WaitAsync(Deadline);
        Assert.Equal([1, 4, 9], again);
    }

    [Fact]
    public async Task Methods_that_return_nothing_map_and_submit_with_a_Unit_per_call_and_their_errors()
    {
        var (pool, ledger) = NewPool(3, nameof(Methods_that_return_nothing_map_and_submit_with_a_Unit_per_call_and_their_errors));

        var ordered = await pool.MapAsync((w, x) => w.Record(x), Enumerable.Range(100, 30)).ToListAsync().AsTask().WaitAsync(Deadline);
        Assert.Equal(30, ordered.Count);
        var unordered = await pool.MapUnorderedAsync((w, x) => w.RecordSoon(x), Enumerable.Range(200, 30)).ToListAsync().AsTask().WaitAsync(Deadline);
        Assert.Equal(30, unordered.Count);
        Assert.Equal(Enumerable.Range(100, 30).Concat(Enumerable.Range(200, 30)), ledger.Recorded.Order());
        Assert.Equal(1, ledger.MaxRunningOnOneActor);

        pool.Submit((w, x) => w.RecordNow(x), 7);
        pool.Submit((w, x) => w.Record(x), 13);
        pool.Submit((w, x) => w.RecordSoon(x), 8);
        Assert.Equal(default, await pool.GetNextAsync<Unit>(Deadline));
        var error = await Assert.ThrowsAsync<RayTaskException>(() => pool.GetNextAsync<Unit>(Deadline));
        Assert.Contains("unlucky input 13", error.Message, StringComparison.Ordinal);
        Assert.Equal(default, await pool.GetNextAsync<Unit>(Deadline));
        Assert.Contains(7, ledger.Recorded);
        Assert.Contains(8, ledger.Recorded);
        Assert.DoesNotContain(13, ledger.Recorded);

        var failed = await Assert.ThrowsAsync<RayTaskException>(async () => await pool.MapAsync((w, x) => w.RecordNow(x), [12, 13, 14]).ToListAsync().AsTask().WaitAsync(Deadline));
        Assert.Contains("unlucky input 13", failed.Message, StringComparison.Ordinal);
        Assert.True(pool.HasFree);
    }

    /// <summary>A type Orleans has no codec for: no [GenerateSerializer].</summary>
    private sealed class NotSerializable
    {
        public int Value { get; } = 1;
    }
}
