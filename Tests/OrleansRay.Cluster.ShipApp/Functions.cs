using OrleansRay;
using ShipModel;

namespace ShipApp;

/// <summary>The remote functions of the shipped driver. Bodies differ between the two builds (SHIP_V2), names do not.</summary>
public static class Functions
{
#if SHIP_V2
    public const string Version = "v2";
    public const int Factor = 3;
    public const int Offset = 1000;
#else
    public const string Version = "v1";
    public const int Factor = 2;
    public const int Offset = 0;
#endif

    /// <summary>Which node runs this task, and which build: "node|version".</summary>
    public static string WhereAndWhich() => $"{RayContext.NodeId}|{Version}";

    /// <summary>Which build runs this task.</summary>
    public static string WhichBuild() => Version;

    /// <summary>A user record in and out: values scaled by the build's factor.</summary>
    public static Measurement Scale(Measurement m) =>
        m with { Name = m.Name + "@" + Version, Values = [.. m.Values.Select(v => v * Factor)], Extra = null };

    public static int Square(int x) => x * x;

    /// <summary>Calls a grain whose class travels only with this job: no node hosts it.</summary>
    public static Task<int> PingShippedGrain() => Ray.Current.GrainFactory.GetGrain<IShippedGrain>("shipped").PingAsync();

    /// <summary>Nested refs: a list of refs passed as refs, read inside the task; plus the build's offset.</summary>
    public static async Task<int> SumRefs(List<ObjectRef<int>> refs)
    {
        var sum = 0;
        foreach (var r in refs)
        {
            sum += await Ray.Current.GetAsync(r);
        }

        return sum + Offset;
    }

    /// <summary>A ref inside a record, read inside the task.</summary>
    public static async Task<double> SumWithExtra(Measurement m) =>
        m.Values.Sum() + (m.Extra is null ? 0 : await Ray.Current.GetAsync(m.Extra));

    /// <summary>An actor handle passed to a task: the task calls the actor.</summary>
    public static async Task<int> AddThrough(ActorHandle<Accumulator> accumulator, int amount) =>
        await accumulator.Task((a, x) => a.Add(x), amount).Remote();

    /// <summary>Refs whose element type is the job's own record, passed inside a list: read inside the task.</summary>
    public static async Task<string> NamesOf(List<ObjectRef<Measurement>> refs)
    {
        var names = new List<string>();
        foreach (var r in refs)
        {
            names.Add((await Ray.Current.GetAsync(r)).Name);
        }

        return string.Join(",", names);
    }

    /// <summary>A task that returns a ref of the job's own record type (put by the task on its node).</summary>
    public static async Task<ObjectRef<Measurement>> MakeRecordRef(string name) =>
        await Ray.Current.PutAsync(new Measurement { Name = name + "@" + Version });

    /// <summary>Returns nothing (an async Task function of the shipped code): adds to the accumulator through its handle,
    /// after an await.</summary>
    public static async Task AddLater(ActorHandle<Accumulator> accumulator, int amount)
    {
        await Task.Yield();
        _ = await accumulator.Task((a, x) => a.Add(x), amount).Remote();
    }

    /// <summary>The job's runtime environment variable, as job code reads it on the node.</summary>
    public static string Greeting() => RayContext.GetEnvironmentVariable("SHIP_GREETING") ?? "(unset)";

    /// <summary>The job's variable and the task's own (<c>TaskOptions.EnvVars</c>), as the task reads them.</summary>
    public static string GreetingAndStage() => $"{Greeting()} / {RayContext.GetEnvironmentVariable("SHIP_STAGE") ?? "(unset)"}";
}

/// <summary>A class actor of the shipped code.</summary>
public sealed class Accumulator
{
    private int _total;

    public Accumulator(int start)
    {
        _total = start;
    }

    public int Add(int amount)
    {
        _total += amount * (Functions.Offset == 0 ? 1 : 10);
        return _total;
    }

    /// <summary>Returns nothing: sets the total.</summary>
    public void Set(int total) => _total = total;

    public Measurement Snapshot() => new() { Name = "total@" + Functions.Version, Values = [_total] };
}

/// <summary>An actor whose constructor throws: it dies at creation, and its job's code must still unload.</summary>
public sealed class Broken
{
    public Broken(int code)
    {
        throw new InvalidOperationException($"broken {code} in {Functions.Version}");
    }

    public int Get() => 0;
}
