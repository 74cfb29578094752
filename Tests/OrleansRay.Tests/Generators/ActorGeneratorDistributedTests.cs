using OrleansRay.Tests.Fixtures;
using Xunit;
using static OrleansRay.Tests.Generators.GeneratorFunctions;

namespace OrleansRay.Tests.Generators;

/// <summary>Actor generators (Ray's actor methods that yield) across nodes: two nodes in this process and a connected
/// driver; the actor lives on the node the driver is not connected through, so its items travel to the driver one by
/// one through the far node's reply pump.</summary>
public sealed class ActorGeneratorDistributedTests : IAsyncLifetime
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

    private ActorHandle<StreamingTally> OnFarNode(IRay ray) => ray.Actor(() => new StreamingTally())
        .Options(new ActorOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(Far.NodeId) })
        .Remote();

    [Fact]
    public async Task Items_of_an_actor_method_on_another_node_arrive_while_it_runs_and_the_next_call_continues_its_state()
    {
        await using var ray = await ConnectAsync();
        var state = State(_key);
        var actor = OnFarNode(ray);

        var generator = actor.Task((a, k) => a.Tally(k, 1000, true), _key).Remote();
        var second = actor.Task((a, k) => a.Tally(k, 10, false), _key).Remote();
        var seen = new List<int>();
        // Items delivered only at the end would never open the gate: the deadline turns that into a failure, not a hang.
        using var deadline = new CancellationTokenSource(Deadline);
        await foreach (var item in generator.WithCancellation(deadline.Token))
        {
            var value = await item;
            if (seen.Count == 0)
            {
                // The method waits at item 1 until this gate opens: item 0 crossed to the driver while it was running.
                Assert.Equal(1, Volatile.Read(ref state.Produced));
                state.Gate.SetResult();
            }

            seen.Add(value);
        }

        Assert.Equal(Enumerable.Range(1, 1000), seen);
        Assert.Equal(Far.NodeId.Value, state.Node);
        Assert.Equal(1000, await generator.Completion);

        var next = new List<int>();
        await foreach (var item in second)
        {
            next.Add(await item);
        }

        Assert.Equal(Enumerable.Range(1001, 10), next);
        Assert.Equal(1, await actor.Task(a => a.MaxRunning()).Remote());
    }

    [Fact]
    public async Task An_exception_at_item_500_surfaces_after_500_items()
    {
        await using var ray = await ConnectAsync();
        var actor = OnFarNode(ray);

        var generator = actor.Task(a => a.FailAt(500)).Remote();
        var seen = new List<int>();
        var error = await Assert.ThrowsAsync<RayTaskException>(async () =>
        {
            await foreach (var item in generator)
            {
                seen.Add(await item);
            }
        });

        Assert.Equal(Enumerable.Range(1, 500), seen);
        Assert.Contains("actor method failed at item 500", error.Message, StringComparison.Ordinal);
        Assert.Equal(500, await actor.Task(a => a.Total()).Remote());
    }

    [Fact]
    public async Task Cancelling_the_generator_stops_the_method_through_its_token()
    {
        await using var ray = await ConnectAsync();
        var state = State(_key);
        var actor = OnFarNode(ray);

        var generator = actor.Task((a, k) => a.StallAfter(k, 10), _key).Remote();
        var seen = 0;
        await Assert.ThrowsAsync<TaskCancelledException>(async () =>
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

        await Eventually.TrueAsync(() => state.Stopped, Deadline, "the method's enumerator was disposed (its finally ran)");
        Assert.True(state.TokenFired, "the method's RayContext.CancellationToken fired");
        Assert.Equal(Far.NodeId.Value, state.Node);
        Assert.Equal(0, await actor.Task(a => a.Total()).Remote());
    }

    [Fact]
    public async Task The_consumers_token_stops_a_bounded_method()
    {
        await using var ray = await ConnectAsync();
        var state = State(_key);
        var actor = OnFarNode(ray);
        using var stop = new CancellationTokenSource();

        var generator = actor.Task((a, k) => a.Endless(k), _key).Options(new ActorCallOptions { GeneratorBackpressureNumObjects = 8 }).Remote();
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
        await Eventually.TrueAsync(() => state.Stopped, Deadline, "the method's enumerator was disposed (its finally ran)");
        Assert.InRange(Volatile.Read(ref state.Produced), 20, 20 + 8 + 1);
    }

    [Fact]
    public async Task A_slow_consumer_bounds_how_far_the_method_runs_ahead()
    {
        const int bound = 5;
        await using var ray = await ConnectAsync();
        var state = State(_key);
        var actor = OnFarNode(ray);

        var generator = actor.Task((a, k) => a.Measured(k, 300), _key).Options(new ActorCallOptions { GeneratorBackpressureNumObjects = bound }).Remote();
        var seen = new List<int>();
        await foreach (var item in generator)
        {
            if (seen.Count == 0)
            {
                // Slowest consumer first: the method runs ahead until the bound stops it.
                await Eventually.TrueAsync(() => Volatile.Read(ref state.Produced) >= bound, Deadline, "the method made the first items");
            }

            seen.Add(await item);
            Interlocked.Increment(ref state.Consumed); // before asking for the next item
        }

        Assert.Equal(Enumerable.Range(0, 300), seen);
        Assert.Equal(bound, Volatile.Read(ref state.MaxAhead));
        Assert.Equal(Far.NodeId.Value, state.Node);
    }
}
