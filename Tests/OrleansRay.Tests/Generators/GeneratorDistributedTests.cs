using OrleansRay.Tests.Fixtures;
using Xunit;
using static OrleansRay.Tests.Generators.GeneratorFunctions;

namespace OrleansRay.Tests.Generators;

/// <summary>Streaming generators (Ray's ObjectRefGenerator) across nodes: two nodes in this process and a connected
/// driver; the producer runs on the node the driver is not connected through.</summary>
public sealed class GeneratorDistributedTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly string _key = Guid.NewGuid().ToString("N");
    private InProcessCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = await InProcessCluster.StartAsync((2, null), (2, null));
    }

    public async Task DisposeAsync()
    {
        Forget(_key);
        await _cluster.DisposeAsync();
    }

    private InProcessCluster.Node Far => _cluster.Nodes[1];

    private Task<IRay> ConnectAsync() => Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });

    private TaskOptions OnFarNode(int backpressure = -1, bool soft = false) => new()
    {
        SchedulingStrategy = SchedulingStrategy.NodeAffinity(Far.NodeId, soft),
        GeneratorBackpressureNumObjects = backpressure,
    };

    [Fact]
    public async Task Items_of_a_generator_on_another_node_arrive_while_it_runs()
    {
        await using var ray = await ConnectAsync();
        var state = State(_key);

        var generator = ray.Task(CountWithGate, _key, 1000).Options(OnFarNode()).Remote();
        var seen = new List<int>();
        await foreach (var item in generator)
        {
            var value = await item;
            if (value == 0)
            {
                // The producer waits at item 1 until this gate opens: item 0 reached the consumer before the producer
                // made any other item (so long before its 1,000th).
                Assert.Equal(1, Volatile.Read(ref state.Produced));
                state.Gate.SetResult();
            }

            seen.Add(value);
        }

        Assert.Equal(Enumerable.Range(0, 1000), seen);
        Assert.Equal(Far.NodeId.Value, state.Node);
        Assert.Equal(1000, await generator.Completion);
    }

    [Fact]
    public async Task An_exception_at_item_500_surfaces_after_500_items()
    {
        await using var ray = await ConnectAsync();

        var generator = ray.Task(FailAt, 500).Options(OnFarNode()).Remote();
        var seen = new List<int>();
        var error = await Assert.ThrowsAsync<RayTaskException>(async () =>
        {
            await foreach (var item in generator)
            {
                seen.Add(await item);
            }
        });

        Assert.Equal(Enumerable.Range(0, 500), seen);
        Assert.Contains("producer failed at item 500", error.Message, StringComparison.Ordinal);
        Assert.Equal(typeof(InvalidOperationException).FullName, error.OriginalExceptionType);
    }

    [Fact]
    public async Task Cancelling_the_generator_stops_the_producer()
    {
        await using var ray = await ConnectAsync();
        var state = State(_key);

        var generator = ray.Task(EndlessOf, _key).Options(OnFarNode(backpressure: 4)).Remote();
        var seen = 0;
        var cancelled = await Assert.ThrowsAsync<TaskCancelledException>(async () =>
        {
            await foreach (var item in generator)
            {
                Assert.Equal(seen, await item);
                if (++seen == 10)
                {
                    await ray.CancelAsync(generator);
                }
            }
        });

        Assert.Contains("cancelled", cancelled.Message, StringComparison.OrdinalIgnoreCase);
        // Items the producer had made before the cancel may still be delivered (at most the backpressure bound), no more.
        Assert.InRange(seen, 10, 10 + 4);
        await Eventually.TrueAsync(() => state.Stopped, Deadline, "the producer's enumerator was disposed (its finally ran)");
        var produced = Volatile.Read(ref state.Produced);
        Assert.InRange(produced, 10, 10 + 4 + 1);
        Assert.Equal(Far.NodeId.Value, state.Node);
    }

    [Fact]
    public async Task Leaving_the_loop_early_stops_the_producer()
    {
        await using var ray = await ConnectAsync();
        var state = State(_key);

        var generator = ray.Task(EndlessOf, _key).Options(OnFarNode(backpressure: 8)).Remote();
        var seen = 0;
        await foreach (var item in generator)
        {
            if (++seen == 20)
            {
                break; // disposes the enumerator: the task is cancelled, the items not taken are freed
            }
        }

        await Eventually.TrueAsync(() => state.Stopped, Deadline, "the producer's enumerator was disposed (its finally ran)");
        await Assert.ThrowsAsync<TaskCancelledException>(async () => await generator.Completion);
        Assert.Throws<InvalidOperationException>(() => generator.GetAsyncEnumerator());
    }

    [Fact]
    public async Task The_consumers_token_stops_the_producer()
    {
        await using var ray = await ConnectAsync();
        var state = State(_key);
        using var stop = new CancellationTokenSource();

        var generator = ray.Task(EndlessOf, _key).Options(OnFarNode(backpressure: 8)).Remote();
        var seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var item in generator.WithCancellation(stop.Token))
            {
                if (++seen == 20)
                {
                    await stop.CancelAsync();
                }
            }
        });

        // A cancelled consumer takes no item after the one it cancelled on, even one already received.
        Assert.Equal(20, seen);
        await Eventually.TrueAsync(() => state.Stopped, Deadline, "the producer's enumerator was disposed (its finally ran)");
    }

    [Fact]
    public async Task A_slow_consumer_bounds_how_far_the_producer_runs_ahead()
    {
        const int bound = 5;
        await using var ray = await ConnectAsync();
        var state = State(_key);

        var generator = ray.Task(Measured, _key, 300).Options(OnFarNode(backpressure: bound)).Remote();
        var seen = new List<int>();
        await foreach (var item in generator)
        {
            if (seen.Count == 0)
            {
                // Slowest consumer first: the producer runs ahead until the bound stops it.
                await Eventually.TrueAsync(() => Volatile.Read(ref state.Produced) >= bound, Deadline, "the producer made the first items");
            }

            seen.Add(await item);
            Interlocked.Increment(ref state.Consumed); // before asking for the next item
            if (seen.Count % 50 == 0)
            {
                await Task.Yield();
            }
        }

        Assert.Equal(Enumerable.Range(0, 300), seen);
        Assert.Equal(300, Volatile.Read(ref state.Produced));
        // Never more than the bound produced and not consumed, and the bound was reached (so it did hold the producer).
        Assert.Equal(bound, Volatile.Read(ref state.MaxAhead));
        Assert.Equal(Far.NodeId.Value, state.Node);
    }

    [Fact]
    public async Task A_retry_after_the_producers_node_dies_skips_items_already_delivered()
    {
        await using var ray = await ConnectAsync();
        var state = State(_key);

        var generator = ray.Task(StallsOnFirstAttempt, _key, 100, 40).Options(OnFarNode(soft: true)).Remote();
        var seen = new List<string>();
        await foreach (var item in generator)
        {
            seen.Add(await item);
            if (seen.Count == 40)
            {
                // The first attempt made 40 items and stalls: its node goes away; the task runs again on the other.
                Assert.Equal(Far.NodeId.Value, state.Node);
                await _cluster.StopNodeAsync(Far);
            }
        }

        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"item {i}"), seen);
        Assert.Equal(2, Volatile.Read(ref state.Attempts));
        Assert.Equal(100, await generator.Completion);
    }
}
