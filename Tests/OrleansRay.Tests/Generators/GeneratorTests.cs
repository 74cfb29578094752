using System.Runtime.CompilerServices;
using OrleansRay.Tests.Fixtures;
using StreamingGenerators;
using Xunit;
using static OrleansRay.Tests.Generators.GeneratorFunctions;

namespace OrleansRay.Tests.Generators;

/// <summary>Streaming generators on one embedded node (the producer runs on its owner's node: items go straight to
/// the owner's stream), and the API's edges.</summary>
[Collection(RayCollection.Name)]
public sealed class GeneratorTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly IRay _ray;
    private readonly string _key = Guid.NewGuid().ToString("N");

    public GeneratorTests(RayFixture fixture)
    {
        _ray = fixture.Ray;
    }

    public void Dispose() => Forget(_key);

    [Fact]
    public async Task The_example_sums_the_blocks_as_they_arrive()
    {
        var summary = await PrimeScan.RunAsync(_ray);

        Assert.Equal(new PrimeScan.Summary(Blocks: 20, Primes: 9592, Largest: 99991), summary);
    }

    [Fact]
    public async Task A_local_producer_stays_within_the_bound_and_its_exception_follows_its_items()
    {
        const int bound = 3;
        var state = State(_key);
        var measured = _ray.Task(Measured, _key, 100).Options(new TaskOptions { GeneratorBackpressureNumObjects = bound }).Remote();
        var seen = new List<int>();
        await foreach (var item in measured)
        {
            if (seen.Count == 0)
            {
                await Eventually.TrueAsync(() => Volatile.Read(ref state.Produced) >= bound, Deadline, "the producer made the first items");
            }

            seen.Add(await item);
            Interlocked.Increment(ref state.Consumed);
        }

        Assert.Equal(Enumerable.Range(0, 100), seen);
        Assert.Equal(bound, Volatile.Read(ref state.MaxAhead));

        var failing = _ray.Task(FailAt, 7).Remote();
        var received = 0;
        await Assert.ThrowsAsync<RayTaskException>(async () =>
        {
            await foreach (var item in failing)
            {
                Assert.Equal(received++, await item);
            }
        });
        Assert.Equal(7, received);
    }

    [Fact]
    public async Task A_synchronous_iterator_streams_with_RemoteGenerator()
    {
        var squares = _ray.Task(Squares, 10).RemoteGenerator();
        var values = new List<int>();
        await foreach (var item in squares)
        {
            values.Add(await item);
        }

        Assert.Equal(Enumerable.Range(0, 10).Select(i => i * i), values);
        Assert.Equal(10, await squares.Completion);
    }

    /// <summary>What <c>Completion</c> gives after a <c>break</c> (README, "Completion"): leaving the loop cancels a
    /// producer still running, and <c>Completion</c> then throws <c>TaskCancelledException</c>
    /// (<c>GeneratorDistributedTests.Leaving_the_loop_early_stops_the_producer</c>); a producer that had already finished
    /// is not cancelled, and <c>Completion</c> gives its count, the items the loop never took included.</summary>
    [Fact]
    public async Task Leaving_the_loop_after_the_producer_finished_leaves_Completion_its_count()
    {
        var squares = _ray.Task(Squares, 5).RemoteGenerator();
        var (ended, _) = await _ray.WaitAsync([squares.Completion], numReturns: 1, Deadline);
        Assert.Equal(squares.Completion, Assert.Single((IEnumerable<ObjectRef<int>>)ended)); // the producer has finished

        await foreach (var item in squares)
        {
            Assert.Equal(0, await item);
            break;
        }

        Assert.Equal(5, await squares.Completion);
    }

    /// <summary>A generator dropped without disposing it (never enumerated, or left after one item with its enumerator
    /// undisposed) gives its stream up when collected, as Ray's <c>ObjectRefGenerator.__del__</c> deletes the stream: a
    /// producer held by backpressure stops, so it no longer holds its CPU for good.</summary>
    [Fact]
    public async Task A_dropped_generator_is_given_up_when_collected_and_its_held_producer_ends()
    {
        var (untouched, started) = await StartAndDropAsync(_ray);

        await Eventually.TrueAsync(
            async () =>
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                var wait = await _ray.WaitAsync([untouched, started], numReturns: 2, timeout: TimeSpan.FromMilliseconds(100));
                return wait.Ready.Count == 2;
            },
            Deadline,
            "the producers of the dropped generators ended");

        // Each made what room it had before its generator was given up, not the 1,000 items asked for.
        Assert.InRange(await untouched, 1, 3);
        Assert.InRange(await started, 1, 3);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<(ObjectRef<int> Untouched, ObjectRef<int> Started)> StartAndDropAsync(IRay ray)
    {
        var options = new TaskOptions { GeneratorBackpressureNumObjects = 1 };
        var untouched = ray.Task(Squares, 1000).Options(options).RemoteGenerator();
        var started = ray.Task(Squares, 1000).Options(options).RemoteGenerator();
        var enumerator = started.GetAsyncEnumerator();
        Assert.True(await enumerator.MoveNextAsync());
        Assert.Equal(0, await enumerator.Current);
        return (untouched.Completion, started.Completion);
    }

    [Fact]
    public async Task A_generator_is_enumerated_once_and_an_empty_one_ends_at_once()
    {
        var empty = _ray.Task(Squares, 0).RemoteGenerator();
        await foreach (var unexpected in empty)
        {
            Assert.Fail($"an empty generator yielded {unexpected}");
        }

        var error = Assert.Throws<InvalidOperationException>(() => empty.GetAsyncEnumerator());
        Assert.Contains("enumerated already", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await empty.Completion);
    }

    [Fact]
    public void A_backpressure_bound_below_one_is_refused()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            _ray.Task(Squares, 3).Options(new TaskOptions { GeneratorBackpressureNumObjects = 0 }).RemoteGenerator());
        Assert.Contains("GeneratorBackpressureNumObjects", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancelling_a_local_generator_stops_its_producer()
    {
        var state = State(_key);
        var endless = _ray.Task(EndlessOf, _key).Options(new TaskOptions { GeneratorBackpressureNumObjects = 2 }).Remote();
        var seen = 0;
        await Assert.ThrowsAsync<TaskCancelledException>(async () =>
        {
            await foreach (var item in endless)
            {
                if (++seen == 5)
                {
                    await _ray.CancelAsync(endless);
                }
            }
        });

        await Eventually.TrueAsync(() => state.Stopped, Deadline, "the producer's enumerator was disposed (its finally ran)");
        Assert.InRange(seen, 5, 5 + 2);
    }
}
