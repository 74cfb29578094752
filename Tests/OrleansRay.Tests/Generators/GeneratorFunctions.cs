using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace OrleansRay.Tests.Generators;

/// <summary>Producers for the streaming generator tests. The in-process cluster runs every node in this process, so a
/// producer on the far node and the test share <see cref="State"/> (one per test, by key).</summary>
public static class GeneratorFunctions
{
    private static readonly ConcurrentDictionary<string, ProducerState> States = new();

    /// <summary>What a producer (all its attempts) and its test observe of each other.</summary>
    public sealed class ProducerState
    {
        public int Produced;
        public int Consumed;
        public int MaxAhead;
        public int Attempts;
        public volatile bool Stopped;
        public volatile bool TokenFired;
        public volatile string? Node;
        public readonly TaskCompletionSource Gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public static ProducerState State(string key) => States.GetOrAdd(key, _ => new ProducerState());

    public static void Forget(string key) => States.TryRemove(key, out _);

    /// <summary>Yields 0..count-1; before item 1 it waits for the test's gate (opened once the consumer has item 0).</summary>
    public static async IAsyncEnumerable<int> CountWithGate(string key, int count)
    {
        var state = State(key);
        state.Node = RayContext.NodeId.Value;
        for (var i = 0; i < count; i++)
        {
            if (i == 1)
            {
                await state.Gate.Task;
            }

            Volatile.Write(ref state.Produced, i + 1);
            yield return i;
        }
    }

    /// <summary>Yields 0..failAt-1, then throws.</summary>
    public static async IAsyncEnumerable<int> FailAt(int failAt)
    {
        for (var i = 0; ; i++)
        {
            await Task.Yield();
            if (i == failAt)
            {
                throw new InvalidOperationException($"producer failed at item {i}");
            }

            yield return i;
        }
    }

    /// <summary>Yields forever (until cancelled), counting; records that it stopped when its enumerator is disposed.</summary>
    public static async IAsyncEnumerable<int> Endless(string key, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var state = State(key);
        state.Node = RayContext.NodeId.Value;
        try
        {
            for (var i = 0; ; i++)
            {
                await Task.Yield();
                Interlocked.Increment(ref state.Produced);
                yield return i;
            }
        }
        finally
        {
            state.Stopped = true;
        }
    }

    /// <summary>Endless, for the typed overload (a function of the key only).</summary>
    public static IAsyncEnumerable<int> EndlessOf(string key) => Endless(key);

    /// <summary>Yields 0..count-1, recording how far it ever ran ahead of the test's consumer (produced - consumed, as
    /// the producer sees them when it produces an item).</summary>
    public static async IAsyncEnumerable<int> Measured(string key, int count)
    {
        var state = State(key);
        state.Node = RayContext.NodeId.Value;
        for (var i = 0; i < count; i++)
        {
            await Task.Yield();
            var produced = Interlocked.Increment(ref state.Produced);
            var ahead = produced - Volatile.Read(ref state.Consumed);
            InterlockedMax(ref state.MaxAhead, ahead);
            yield return i;
        }
    }

    /// <summary>Yields 0..count-1 as strings; its first attempt stops for good after <paramref name="firstAttemptItems"/>
    /// items (its node is killed meanwhile), the next ones run to the end.</summary>
    public static async IAsyncEnumerable<string> StallsOnFirstAttempt(string key, int count, int firstAttemptItems)
    {
        var state = State(key);
        var attempt = Interlocked.Increment(ref state.Attempts);
        if (attempt == 1)
        {
            state.Node = RayContext.NodeId.Value;
        }

        for (var i = 0; i < count; i++)
        {
            if (attempt == 1 && i == firstAttemptItems)
            {
                await new TaskCompletionSource().Task; // never resumes: the node goes away under it
            }

            await Task.Yield();
            yield return $"item {i}";
        }
    }

    /// <summary>A synchronous iterator (submitted with RemoteGenerator).</summary>
    public static IEnumerable<int> Squares(int count)
    {
        for (var i = 0; i < count; i++)
        {
            yield return i * i;
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}

/// <summary>An actor whose methods are streaming generators (Ray's actor generators): its state (a running total) is
/// kept across calls, and it records how many of its calls ever ran at once.</summary>
public sealed class StreamingTally
{
    private int _total;
    private int _running;
    private int _maxRunning;

    /// <summary>Yields the next <paramref name="count"/> values of the running total; before item 1 it waits for the
    /// gate of <paramref name="key"/> when <paramref name="gated"/>.</summary>
    public async IAsyncEnumerable<int> Tally(string key, int count, bool gated)
    {
        var state = GeneratorFunctions.State(key);
        state.Node = RayContext.NodeId.Value;
        _maxRunning = Math.Max(_maxRunning, ++_running);
        try
        {
            for (var i = 0; i < count; i++)
            {
                if (gated && i == 1)
                {
                    await state.Gate.Task;
                }

                await Task.Yield();
                Interlocked.Increment(ref state.Produced);
                yield return ++_total;
            }
        }
        finally
        {
            _running--;
        }
    }

    /// <summary>Yields the running total for items 0..<paramref name="failAt"/>-1, then throws.</summary>
    public async IAsyncEnumerable<int> FailAt(int failAt)
    {
        for (var i = 0; ; i++)
        {
            await Task.Yield();
            if (i == failAt)
            {
                throw new InvalidOperationException($"actor method failed at item {i}");
            }

            yield return ++_total;
        }
    }

    /// <summary>Yields forever, until the call's cancellation token (<see cref="RayContext.CancellationToken"/>) fires;
    /// records that it saw the token fire and that its enumerator was disposed.</summary>
    public async IAsyncEnumerable<int> Endless(string key)
    {
        var state = GeneratorFunctions.State(key);
        state.Node = RayContext.NodeId.Value;
        var token = RayContext.CancellationToken;
        try
        {
            for (var i = 0; ; i++)
            {
                await Task.Yield();
                Interlocked.Increment(ref state.Produced);
                yield return i;
            }
        }
        finally
        {
            state.TokenFired = token.IsCancellationRequested;
            state.Stopped = true;
        }
    }

    /// <summary>Yields 0..<paramref name="count"/>-1, then waits on the call's <see cref="RayContext.CancellationToken"/>
    /// (nothing else ends it); records that the token fired and that its enumerator was disposed.</summary>
    public async IAsyncEnumerable<int> StallAfter(string key, int count)
    {
        var state = GeneratorFunctions.State(key);
        state.Node = RayContext.NodeId.Value;
        var token = RayContext.CancellationToken;
        try
        {
            for (var i = 0; i < count; i++)
            {
                Interlocked.Increment(ref state.Produced);
                yield return i;
            }

            await Task.Delay(Timeout.Infinite, token);
        }
        finally
        {
            state.TokenFired = token.IsCancellationRequested;
            state.Stopped = true;
        }
    }

    /// <summary>Yields 0..count-1, recording how far it ran ahead of the test's consumer.</summary>
    public async IAsyncEnumerable<int> Measured(string key, int count)
    {
        await foreach (var item in GeneratorFunctions.Measured(key, count))
        {
            yield return item;
        }
    }

    public int Total() => _total;

    public int MaxRunning() => _maxRunning;
}

/// <summary>An async actor (Ray's async actors) with a generator method: its other calls run while the generator waits.</summary>
[AsyncActor]
public sealed class AsyncStreamingTally
{
    private int _calls;

    /// <summary>Yields 0, then waits for the gate of <paramref name="key"/>, then yields 1.</summary>
    public async IAsyncEnumerable<int> Gated(string key)
    {
        var state = GeneratorFunctions.State(key);
        yield return 0;
        await state.Gate.Task;
        yield return 1;
    }

    public int Ping() => ++_calls;
}
