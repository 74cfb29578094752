namespace OrleansRay.Bench.Core;

/// <summary>Creating and killing the benchmarks' actors, each step under a timeout.</summary>
internal static class BenchActors
{
    /// <summary>Creates a <see cref="BenchActor"/> (0 CPUs, as Ray's benchmark actor; placed by <paramref name="options"/>
    /// when given) and waits until it answers.</summary>
    public static async Task<ActorHandle<BenchActor>> CreateAsync(IRay ray, string benchmark, ActorOptions? options = null)
    {
        var creation = ray.Actor(() => new BenchActor());
        var actor = (options is null ? creation : creation.Options(options)).Remote();
        var first = await ray.GetAsync(actor.Task(static a => a.SmallValue()).Remote()).AsTask().WaitAsync(Measure.StartTimeout);
        if (first != BenchFunctions.Expected)
        {
            throw new InvalidOperationException($"Benchmark \"{benchmark}\": the actor's first call returned {first}, expected {BenchFunctions.Expected}.");
        }

        return actor;
    }

    /// <summary>Kills the actors of a benchmark; a kill that does not finish in time is reported, not awaited forever.</summary>
    public static async Task KillAsync(IRay? ray, string benchmark, params ActorHandle<BenchActor>?[] actors)
    {
        if (ray is null)
        {
            return;
        }

        foreach (var actor in actors)
        {
            if (actor is null)
            {
                continue;
            }

            try
            {
                await ray.KillAsync(actor).WaitAsync(Measure.StartTimeout);
            }
            catch (TimeoutException)
            {
                Console.Error.WriteLine($"warning: benchmark \"{benchmark}\": killing {actor} took longer than {Measure.StartTimeout.TotalSeconds:F0} s.");
            }
        }
    }
}
