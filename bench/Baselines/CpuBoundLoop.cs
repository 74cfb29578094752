using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace OrleansRay.Bench.Baselines;

/// <summary>A scheduler control for the paired sync ratios: one thread that only computes (no allocation, no wait, no
/// other thread), so its rate falls under CPU burners exactly as far as the kernel's share for one always-runnable thread
/// does. A sync round trip of ours over this loop, in the same seconds, stays where it was quiet if our loop loses only
/// that share under load, and falls if hand-offs or collections cost it more.</summary>
internal static class CpuBoundLoop
{
    /// <summary>Rounds of a xorshift step per operation: about 0.46 µs (2.2M/s) on the 2-vCPU EPYC VM of the README, the order of
    /// one sync task's CPU.</summary>
    private const int RoundsPerOperation = 256;

    /// <summary>Defeats dead-code elimination of the computed state.</summary>
    private static ulong s_sink;

    /// <summary>Operations per second of the loop for <paramref name="target"/>, on the calling thread. Completes
    /// synchronously; the task shape matches the other baselines.</summary>
    public static Task<double> SequentialAsync(TimeSpan target)
    {
        const int Chunk = 64;
        var state = (ulong)Stopwatch.GetTimestamp() | 1;
        long done = 0;
        var stopwatch = Stopwatch.StartNew();
        do
        {
            for (var i = 0; i < Chunk; i++)
            {
                state = Operation(state);
            }

            done += Chunk;
        }
        while (stopwatch.Elapsed < target);

        var rate = done / stopwatch.Elapsed.TotalSeconds;
        s_sink ^= state;
        return Task.FromResult(rate);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong Operation(ulong state)
    {
        for (var i = 0; i < RoundsPerOperation; i++)
        {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
        }

        return state;
    }
}
