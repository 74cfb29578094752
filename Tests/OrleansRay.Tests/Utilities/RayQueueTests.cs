using System.Diagnostics;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.Utilities;

[Collection(RayCollection.Name)]
public sealed class RayQueueTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly IRay _ray;

    public RayQueueTests(RayFixture fixture) => _ray = fixture.Ray;

    [Fact]
    public async Task A_blocking_get_with_a_timeout_raises_Empty_after_the_timeout_not_before()
    {
        var queue = RayQueue<string>.Create(_ray);
        var timeout = TimeSpan.FromMilliseconds(1500); // longer than one round in the actor: the caller asks again
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAsync<QueueEmptyException>(() => queue.GetAsync(timeout)).WaitAsync(Deadline);

        Assert.True(clock.Elapsed >= timeout, $"raised after {clock.Elapsed}, before the timeout of {timeout}");
        await queue.ShutdownAsync();
    }

    [Fact]
    public async Task A_blocking_get_returns_the_item_put_while_it_waits()
    {
        var queue = RayQueue<string>.Create(_ray);
        var get = queue.GetAsync();
        await queue.PutAsync("late");
        Assert.Equal("late", await get.WaitAsync(Deadline));
        Assert.True(await queue.IsEmptyAsync());
        await queue.ShutdownAsync();
    }

    [Fact]
    public async Task A_put_on_a_full_bounded_queue_waits_until_a_get_makes_room()
    {
        var queue = RayQueue<int>.Create(_ray, maxSize: 2);
        await queue.PutAsync(1);
        await queue.PutAsync(2);
        Assert.True(await queue.IsFullAsync());

        // Waits, then gives up without putting.
        await Assert.ThrowsAsync<QueueFullException>(() => queue.PutAsync(99, TimeSpan.FromMilliseconds(300))).WaitAsync(Deadline);
        Assert.Equal(2, await queue.SizeAsync());

        var put = queue.PutAsync(3);
        Assert.Equal(1, await queue.GetAsync(Deadline));
        await put.WaitAsync(Deadline);

        Assert.Equal([2, 3], await queue.GetNowaitBatchAsync(2));
        await queue.ShutdownAsync();
    }

    [Fact]
    public async Task Nowait_variants_raise_Full_and_Empty_and_leave_the_queue_as_it_was()
    {
        var queue = RayQueue<int>.Create(_ray, maxSize: 3);
        await Assert.ThrowsAsync<QueueEmptyException>(() => queue.GetNowaitAsync());
        await queue.PutNowaitBatchAsync([1, 2]);
        await Assert.ThrowsAsync<QueueFullException>(() => queue.PutNowaitBatchAsync([3, 4]));
        await Assert.ThrowsAsync<QueueFullException>(() => queue.PutNowaitBatchAsync([5, 6, 7, 8]));
        Assert.Equal(2, await queue.SizeAsync());
        await queue.PutNowaitAsync(3);
        await Assert.ThrowsAsync<QueueFullException>(() => queue.PutNowaitAsync(4));
        await Assert.ThrowsAsync<QueueEmptyException>(() => queue.GetNowaitBatchAsync(4));
        Assert.Equal(1, await queue.GetNowaitAsync());
        Assert.Equal([2, 3], await queue.GetNowaitBatchAsync(2));
        Assert.True(await queue.IsEmptyAsync());
        Assert.False(await queue.IsFullAsync());
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => queue.GetAsync(TimeSpan.FromSeconds(-1)));
        await queue.ShutdownAsync();
    }

    [Fact]
    public async Task A_negative_max_size_is_no_bound_as_in_Ray()
    {
        var queue = RayQueue<int>.Create(_ray, maxSize: -1);
        Assert.Equal(0, queue.MaxSize);
        await queue.PutNowaitBatchAsync(Enumerable.Range(0, 50));
        await queue.PutAsync(50, TimeSpan.Zero);
        Assert.Equal(51, await queue.SizeAsync());
        Assert.False(await queue.IsFullAsync());
        Assert.Equal(0, await queue.GetNowaitAsync());
        await queue.ShutdownAsync();
    }

    [Fact]
    public async Task A_cancelled_get_stops_waiting_and_takes_no_item()
    {
        var queue = RayQueue<int>.Create(_ray);
        using var cancel = new CancellationTokenSource();
        var get = queue.GetAsync(cancellationToken: cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => get).WaitAsync(Deadline);

        // The waiting call ended in the actor: the next item goes to the next getter.
        await queue.PutAsync(7);
        Assert.Equal(7, await queue.GetAsync(Deadline));
        await queue.ShutdownAsync();
    }

    [Fact]
    public async Task Cancelling_a_get_as_an_item_is_handed_over_loses_no_item()
    {
        const int Rounds = 30;
        var queue = RayQueue<int>.Create(_ray);
        var returned = new List<int>();
        for (var i = 0; i < Rounds; i++)
        {
            using var cancel = new CancellationTokenSource();
            var get = queue.GetAsync(cancellationToken: cancel.Token);

            // Another caller puts the item; once the put is acknowledged the waiting get has (most often) taken it in
            // the actor, and only then does its caller cancel.
            await queue.PutAsync(i).WaitAsync(Deadline);
            await cancel.CancelAsync();
            try
            {
                returned.Add(await get.WaitAsync(Deadline));
            }
            catch (OperationCanceledException)
            {
                // No item taken: it must still be in the queue.
            }
        }

        var left = await queue.GetNowaitBatchAsync(await queue.SizeAsync()).WaitAsync(Deadline);
        Assert.Equal(Enumerable.Range(0, Rounds), returned.Concat(left).Order());
        await queue.ShutdownAsync();
    }

    [Fact]
    public async Task Cancelling_a_put_as_room_is_made_reports_failure_only_for_an_item_not_put()
    {
        const int Rounds = 30;
        var queue = RayQueue<int>.Create(_ray, maxSize: 1);
        await queue.PutAsync(-1).WaitAsync(Deadline);
        var put = new List<int>();
        var taken = new List<int>();
        for (var i = 0; i < Rounds; i++)
        {
            using var cancel = new CancellationTokenSource();
            var waiting = queue.PutAsync(i, cancellationToken: cancel.Token);

            // A get makes room; once it is acknowledged the waiting put has (most often) put its item, and only then
            // does its caller cancel.
            taken.Add(await queue.GetAsync(Deadline).WaitAsync(Deadline));
            await cancel.CancelAsync();
            try
            {
                await waiting.WaitAsync(Deadline);
                put.Add(i);
            }
            catch (OperationCanceledException)
            {
                // Reported as not put: it must not be in the queue.
            }

            if (await queue.IsEmptyAsync())
            {
                await queue.PutAsync(-1).WaitAsync(Deadline);
            }
        }

        taken.AddRange(await queue.GetNowaitBatchAsync(await queue.SizeAsync()).WaitAsync(Deadline));
        Assert.Equal(put, taken.Where(item => item >= 0));
        await queue.ShutdownAsync();
    }

    [Fact]
    public async Task An_actor_holding_the_queue_handle_takes_what_the_driver_puts()
    {
        var queue = RayQueue<int>.Create(_ray, maxSize: 3);
        var summer = _ray.Actor(() => new QueueSummer()).Remote();
        var sum = summer.Task((s, q) => s.SumAsync(q, 10), queue).Remote();

        foreach (var i in Enumerable.Range(1, 10))
        {
            await queue.PutAsync(i, Deadline);
        }

        Assert.Equal(55, await _ray.GetAsync(sum, Deadline));
        await queue.ShutdownAsync();
    }

    [Fact]
    public async Task An_item_that_cannot_be_serialized_is_refused_naming_the_queue_and_its_type_and_the_queue_goes_on()
    {
        var queue = RayQueue<PlainPoco>.Create(_ray);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => queue.PutAsync(new PlainPoco())).WaitAsync(Deadline);

        Assert.Equal("item", error.ParamName);
        Assert.StartsWith($"An item put into RayQueue<{nameof(PlainPoco)}> cannot be serialized", error.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(PlainPoco), error.InnerException!.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("QueueActor", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await queue.SizeAsync().WaitAsync(Deadline));
        await queue.ShutdownAsync();
    }

    [Fact]
    public async Task A_shut_down_queue_raises_ActorDied()
    {
        var queue = RayQueue<int>.Create(_ray);
        await queue.PutAsync(1);
        await queue.ShutdownAsync();
        await Assert.ThrowsAsync<ActorDiedException>(() => queue.GetNowaitAsync()).WaitAsync(Deadline);
    }

    [Fact]
    public async Task The_caller_s_actor_options_are_kept_with_the_concurrency_the_queue_needs()
    {
        var options = new ActorOptions { Name = $"queue-{Guid.NewGuid():N}", MaxConcurrency = 1 };
        var queue = RayQueue<int>.Create(_ray, actorOptions: options);
        Assert.Equal(1, options.MaxConcurrency);

        // A waiting get does not stop the put that satisfies it (it would, one call at a time).
        var get = queue.GetAsync();
        await queue.PutAsync(5).WaitAsync(Deadline);
        Assert.Equal(5, await get.WaitAsync(Deadline));
        await _ray.GetActorAsync<QueueActor>(options.Name);
        await queue.ShutdownAsync();
    }
}

/// <summary>An actor that takes items from a queue it was handed.</summary>
public sealed class QueueSummer
{
    public async Task<int> SumAsync(RayQueue<int> queue, int count)
    {
        var sum = 0;
        for (var i = 0; i < count; i++)
        {
            sum += await queue.GetAsync(TimeSpan.FromSeconds(30));
        }

        return sum;
    }
}
