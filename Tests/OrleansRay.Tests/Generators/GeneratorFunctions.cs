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
