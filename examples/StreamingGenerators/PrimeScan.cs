using System.Runtime.CompilerServices;
using OrleansRay;

namespace StreamingGenerators;

/// <summary>A streaming generator (Ray's <c>num_returns="streaming"</c>): one task scans a range for primes block by
/// block and yields each block's primes as soon as it has them; the driver consumes the blocks while the scan runs,
/// and the backpressure option keeps the scan at most a few blocks ahead of it.</summary>
public static class PrimeScan
{
    /// <summary>What <see cref="RunAsync"/> found.</summary>
    /// <param name="Blocks">Blocks received.</param>
    /// <param name="Primes">Primes found below the limit.</param>
    /// <param name="Largest">The largest of them.</param>
    public sealed record Summary(int Blocks, int Primes, int Largest);

    /// <summary>The producer: the primes of [block * size, (block + 1) * size) for each block below <paramref name="limit"/>,
    /// one array per block. It stops early when the task is cancelled (the token fires).</summary>
    public static async IAsyncEnumerable<int[]> PrimesByBlock(int limit, int size, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        for (var start = 0; start < limit; start += size)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var end = Math.Min(limit, start + size);
            yield return Enumerable.Range(start, end - start).Where(IsPrime).ToArray();
            await Task.Yield(); // let a cancellation in between blocks
        }
    }

    /// <summary>The producer as a task function (the scan's bounds only).</summary>
    public static IAsyncEnumerable<int[]> Scan(int limit, int size) => PrimesByBlock(limit, size);

    /// <summary>Scans [0, <paramref name="limit"/>) in blocks of <paramref name="size"/> on the cluster and sums the
    /// blocks as they arrive.</summary>
    public static async Task<Summary> RunAsync(IRay ray, int limit = 100_000, int size = 5_000, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(ray);
        var options = new TaskOptions { GeneratorBackpressureNumObjects = 4 }; // at most 4 blocks ahead of this loop
        ObjectRefGenerator<int[]> blocks = ray.Task(Scan, limit, size).Options(options).Remote();

        int count = 0, primes = 0, largest = 0;
        await foreach (ObjectRef<int[]> block in blocks)
        {
            int[] found = await block; // each block is an object of its own: freed once this ref is gone
            count++;
            primes += found.Length;
            largest = found.Length > 0 ? found[^1] : largest;
            log?.WriteLine($"block {count}: {found.Length} primes");
        }

        return new Summary(count, primes, largest);
    }

    private static bool IsPrime(int n)
    {
        if (n < 2)
        {
            return false;
        }

        for (var d = 2; d * d <= n; d++)
        {
            if (n % d == 0)
            {
                return false;
            }
        }

        return true;
    }
}
