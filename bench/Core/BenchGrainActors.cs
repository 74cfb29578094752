namespace OrleansRay.Bench.Core;

/// <summary>Creating and killing the benchmarks' actors behind grain interfaces, each step under a timeout.</summary>
internal static class BenchGrainActors
{
    /// <summary>Creations in flight at once: enough to create a thousand actors in a few seconds, few enough not to
    /// queue thousands of requests at the control store.</summary>
    private const int CreationsInFlight = 64;

    /// <summary>Creates <paramref name="count"/> <see cref="IBenchGrainActor"/>s (0 CPUs, as Ray's benchmark actor) and
    /// waits until each answers.</summary>
    public static async Task<IBenchGrainActor[]> CreateAsync(IRay ray, string benchmark, int count)
    {
        var actors = new IBenchGrainActor[count];
        using var gate = new SemaphoreSlim(CreationsInFlight);
        await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                var actor = await ray.CreateActorAsync<IBenchGrainActor>(new ActorOptions { NumCpus = 0 }).WaitAsync(Measure.StartTimeout);
                var first = await actor.Echo(i).WaitAsync(Measure.StartTimeout);
                if (first != i)
                {
                    throw new InvalidOperationException($"Benchmark \"{benchmark}\": grain actor {i}'s first call returned {first}, expected {i}.");
                }

                actors[i] = actor;
            }
            finally
            {
                gate.Release();
            }
        }));
        return actors;
    }

    /// <summary>Kills the actors of a benchmark; a kill that does not finish in time is reported, not awaited forever.</summary>
    public static async Task KillAsync(IRay? ray, string benchmark, IBenchGrainActor?[] actors)
    {
        if (ray is null)
        {
            return;
        }

        var timedOut = 0;
        using var gate = new SemaphoreSlim(CreationsInFlight);
        await Task.WhenAll(actors.OfType<IBenchGrainActor>().Select(async actor =>
        {
            await gate.WaitAsync();
            try
            {
                await ray.KillAsync(actor).WaitAsync(Measure.StartTimeout);
            }
            catch (TimeoutException)
            {
                Interlocked.Increment(ref timedOut);
            }
            finally
            {
                gate.Release();
            }
        }));
        if (timedOut > 0)
        {
            Console.Error.WriteLine($"warning: benchmark \"{benchmark}\": killing {timedOut} grain actor(s) took longer than {Measure.StartTimeout.TotalSeconds:F0} s.");
        }
    }
}
