using System.Diagnostics;

namespace OrleansRay.Bench.Baselines;

/// <summary>The two call shapes of the raw Orleans baselines: sequential, and a fixed number in flight.</summary>
internal static class RawCalls
{
    /// <summary>Calls per second of one loop that awaits each call before the next, for <paramref name="target"/>.</summary>
    public static async Task<double> SequentialAsync(Func<int, Task<int>> call, TimeSpan target)
    {
        // Check the clock every few calls: a Stopwatch read is cheap, but not free next to a sub-microsecond call.
        const int Chunk = 16;
        long done = 0;
        var stopwatch = Stopwatch.StartNew();
        do
        {
            for (var i = 0; i < Chunk; i++)
            {
                var value = (int)((done + i) & 0xFFFF);
                if (await call(value) != value)
                {
                    throw new InvalidOperationException($"Raw Orleans call {done + i} returned a wrong value.");
                }
            }

            done += Chunk;
        }
        while (stopwatch.Elapsed < target);

        return done / stopwatch.Elapsed.TotalSeconds;
    }

    /// <summary><see cref="SequentialAsync"/> of <paramref name="call"/> as a measurer of one slice's rate.</summary>
    public static Func<TimeSpan, Task<double>> Sequential(Func<int, Task<int>> call) => target => SequentialAsync(call, target);

    /// <summary>Calls per second with <paramref name="inFlight"/> calls always outstanding: that many loops, each
    /// issuing its next call when its last one returns, loop <c>i</c> calling <c>call(i, ...)</c>.</summary>
    public static async Task<double> InFlightAsync(Func<int, int, Task<int>> call, int inFlight, TimeSpan target)
    {
        var stopwatch = Stopwatch.StartNew();
        var loops = new Task<long>[inFlight];
        for (var i = 0; i < inFlight; i++)
        {
            loops[i] = LoopAsync(call, i, stopwatch, target);
        }

        var counts = await Task.WhenAll(loops);
        var elapsed = stopwatch.Elapsed;
        return counts.Sum() / elapsed.TotalSeconds;
    }

    /// <summary><see cref="InFlightAsync"/> over <paramref name="inFlight"/> echo grains (keys 0..n-1), one call in flight to each.</summary>
    public static Task<double> EchoInFlightAsync(IGrainFactory grains, int inFlight, TimeSpan target)
    {
        var targets = new IEchoGrain[inFlight];
        for (var i = 0; i < targets.Length; i++)
        {
            targets[i] = grains.GetGrain<IEchoGrain>(i);
        }

        return InFlightAsync((loop, value) => targets[loop].Echo(value), inFlight, target);
    }

    private static async Task<long> LoopAsync(Func<int, int, Task<int>> call, int loop, Stopwatch stopwatch, TimeSpan target)
    {
        long done = 0;
        while (stopwatch.Elapsed < target)
        {
            if (await call(loop, loop) != loop)
            {
                throw new InvalidOperationException($"Raw Orleans call from loop {loop} returned a wrong value.");
            }

            done++;
        }

        return done;
    }
}
