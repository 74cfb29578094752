namespace OrleansRay.Tests.MultipleReturns;

/// <summary>Functions and an actor with several returns (Ray's num_returns), for the multiple-returns tests.</summary>
public static class ReturnsFunctions
{
    /// <summary>More doubles than the 100 KiB inline threshold holds (1.6 MB).</summary>
    public const int LargeLength = 200_000;

    public static (int, string, double[]) Split(int x) => (x, "s" + x, [x, x + 0.5]);

    public static (int Small, double[] Large, string Name) SmallLargeSmall(int x)
    {
        var large = new double[LargeLength];
        large[0] = x;
        large[^1] = -x;
        return (x, large, "n" + x);
    }

    /// <summary>A first return larger than a test node's 64 MiB store (80 MB), and a large second one that fits.</summary>
    public static (double[] Huge, double[] Large) HugeThenLarge(int x)
    {
        var large = new double[LargeLength];
        large[0] = x;
        return (new double[10_000_000], large);
    }

    public static async Task<(int, int, int)> ThreeAsync(int x)
    {
        await Task.Yield();
        return (x, x * 2, x * 3);
    }

    /// <summary>Runs of <see cref="LargePair"/> per seed (the nodes share this process).</summary>
    public static readonly System.Collections.Concurrent.ConcurrentDictionary<int, int> LargePairRuns = new();

    public static (double[] A, double[] B, int Small) LargePair(int seed)
    {
        LargePairRuns.AddOrUpdate(seed, 1, static (_, n) => n + 1);
        var a = new double[LargeLength];
        var b = new double[LargeLength];
        a[0] = seed;
        b[0] = -seed;
        return (a, b, seed);
    }

    public static (int, int, int) Fail(int x) => throw new InvalidOperationException($"split failed for {x}");

    public static int[] Digits(int count) => Enumerable.Range(0, count).ToArray();

    public static int Add(int a, int b) => a + b;

    public static string Describe(string s, double[] values) => $"{s}:{values.Length}:{values[0]}";

    public static string WhereAmI() => RayContext.NodeId.Value;

    public static (string, string) WhereTwice() => (RayContext.NodeId.Value, RayContext.NodeId.Value);

    /// <summary>Waits until the task is cancelled (at most 2 minutes), then throws as cancelled work does.</summary>
    public static (int, int, int) WaitForCancel(int x)
    {
        RayContext.CancellationToken.WaitHandle.WaitOne(TimeSpan.FromMinutes(2));
        RayContext.CancellationToken.ThrowIfCancellationRequested();
        return (x, x, x);
    }
}

/// <summary>An actor whose methods return several values.</summary>
public sealed class Ledger
{
    private int _total;

    /// <summary>Adds <paramref name="amount"/>; returns the new total, the number as text, and a large audit array.</summary>
    public (int Total, string Text, long[] Audit) Deposit(int amount)
    {
        _total += amount;
        var audit = new long[ReturnsFunctions.LargeLength];
        audit[0] = _total;
        return (_total, _total.ToString(System.Globalization.CultureInfo.InvariantCulture), audit);
    }

    public (int, int) Overdraw(int amount) => throw new InvalidOperationException($"overdraw by {amount} refused");

    public int[] LastDigits(int count) => Enumerable.Range(_total, count).ToArray();
}
