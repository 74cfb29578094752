using System.Diagnostics;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Core;

/// <summary>Timing and safety helpers shared by the benchmarks.</summary>
internal static class Measure
{
    /// <summary>Longest one run may take before it is declared hung (a runtime bug must not hang the harness).</summary>
    public static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(2);

    /// <summary>Longest starting or stopping a cluster may take.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(1);

    /// <summary>How long a time-bounded run lasts: ~1 s (the brief's 0.5–2 s), 0.2 s with --quick.</summary>
    public static TimeSpan Target(BenchEnvironment environment) =>
        environment.Quick ? TimeSpan.FromMilliseconds(200) : TimeSpan.FromSeconds(1);

    /// <summary>Fixed iteration counts (batches submitted without awaiting) shrink 10x with --quick.</summary>
    public static int Count(BenchEnvironment environment, int full) => environment.Quick ? Math.Max(1, full / 10) : full;

    /// <summary>Runs one measurement on the thread pool and fails it with a clear message if it does not finish in
    /// <paramref name="timeout"/> (default <see cref="RunTimeout"/>).</summary>
    public static async Task<T> GuardAsync<T>(string benchmark, Func<Task<T>> body, TimeSpan? timeout = null)
    {
        var limit = timeout ?? RunTimeout;
        var stats = RunStats.Start();
        try
        {
            var result = await Task.Run(body).WaitAsync(limit);
            stats.Print(benchmark);
            return result;
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Benchmark \"{benchmark}\": one run did not finish within {limit.TotalSeconds:F0} s; the runtime looks hung.");
        }
    }

    /// <summary>Operations per second of a sequential loop that awaits <paramref name="operation"/> until
    /// <paramref name="target"/> has passed; every result must equal <paramref name="expected"/>.</summary>
    public static async Task<double> SequentialRateAsync<T>(string benchmark, Func<ValueTask<T>> operation, T expected, TimeSpan target)
    {
        var comparer = EqualityComparer<T>.Default;
        // Check the clock every few calls: a Stopwatch read is cheap, but not free next to a ~1 µs call.
        const int Chunk = 16;
        long done = 0;
        var stopwatch = Stopwatch.StartNew();
        do
        {
            for (var i = 0; i < Chunk; i++)
            {
                var value = await operation();
                if (!comparer.Equals(value, expected))
                {
                    throw new InvalidOperationException($"Benchmark \"{benchmark}\": call {done + i} returned {value}, expected {expected}.");
                }
            }

            done += Chunk;
        }
        while (stopwatch.Elapsed < target);

        return done / stopwatch.Elapsed.TotalSeconds;
    }

    /// <summary>Throws unless <see cref="BenchFunctions.SmallValue"/> ran exactly <paramref name="count"/> times since
    /// <paramref name="executionsBefore"/> was read (a task lost or run twice is a runtime bug).</summary>
    public static void CheckExecutions(string benchmark, long executionsBefore, int count)
    {
        var ran = BenchFunctions.Executions - executionsBefore;
        if (ran != count)
        {
            throw new InvalidOperationException($"Benchmark \"{benchmark}\": {count} tasks returned their results but the function ran {ran} times.");
        }
    }

    /// <summary>Throws unless every value equals <see cref="BenchFunctions.Expected"/>.</summary>
    public static void CheckAllExpected(string benchmark, int[] values, int count)
    {
        if (values.Length != count)
        {
            throw new InvalidOperationException($"Benchmark \"{benchmark}\": got {values.Length} values for {count} refs.");
        }

        for (var i = 0; i < values.Length; i++)
        {
            if (values[i] != BenchFunctions.Expected)
            {
                throw new InvalidOperationException($"Benchmark \"{benchmark}\": value {i} is {values[i]}, expected {BenchFunctions.Expected}.");
            }
        }
    }
}
