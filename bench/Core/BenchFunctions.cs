namespace OrleansRay.Bench.Core;

/// <summary>The remote functions of the benchmarks: trivial, so the figures measure the runtime, not the work.</summary>
internal static class BenchFunctions
{
    /// <summary>The value <see cref="SmallValue"/> returns; not 0, so a default-valued result is caught as wrong.</summary>
    public const int Expected = 1;

    private static long _executions;

    /// <summary>How many times <see cref="SmallValue"/> has run in this process: a run checks that each task ran once.</summary>
    public static long Executions => Interlocked.Read(ref _executions);

    /// <summary>Ray's <c>small_value()</c>: no argument, a small result.</summary>
    public static int SmallValue()
    {
        Interlocked.Increment(ref _executions);
        return Expected;
    }

    /// <summary>The node the task runs on: benchmarks that spread tasks check where they landed.</summary>
    public static string NodeOf() => RayContext.NodeId.Value;

    /// <summary>Ray's <c>work(actors)</c> of "n:n actor calls async": calls the actors round-robin from inside a task,
    /// then gets all results. Returns how many calls were answered with the expected value.</summary>
    public static async Task<int> CallActorsRoundRobin(ActorHandle<BenchActor>[] actors, int calls)
    {
        var ray = Ray.Current;
        var refs = new ObjectRef<int>[calls];
        for (var i = 0; i < calls; i++)
        {
            refs[i] = actors[i % actors.Length].Task(static a => a.SmallValue()).Remote();
        }

        var values = await ray.GetAsync(refs);
        var ok = 0;
        foreach (var v in values)
        {
            if (v == Expected)
            {
                ok++;
            }
        }

        return ok;
    }
}
