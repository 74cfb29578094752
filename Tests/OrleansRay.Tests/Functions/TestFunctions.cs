using Orleans;

namespace OrleansRay.Tests.Functions;

/// <summary>Remote functions used by the tests.</summary>
public static class TestFunctions
{
    public static int Square(int x) => x * x;

    public static double[] Zeros(int n) => new double[n];

    public static async Task<double> Dot(double[] a, double[] b)
    {
        await Task.Yield();
        var sum = 0.0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    public static ValueTask<int> AddAsync(int a, int b) => new(a + b);

    public static int Answer() => 42;

    public static int Sum2(int a, int b) => a + b;

    public static int Sum3(int a, int b, int c) => a + b + c;

    public static int Sum4(int a, int b, int c, int d) => a + b + c + d;

    public static int Sum5(int a, int b, int c, int d, int e) => a + b + c + d + e;

    public static int Sum6(int a, int b, int c, int d, int e, int f) => a + b + c + d + e + f;

    public static int Throw(int x) => throw new InvalidOperationException($"bad input {x}");

    public static async Task<int> ThrowAsync(int x)
    {
        await Task.Yield();
        throw new FormatException($"async bad input {x}");
    }

    public static int ThrowCustom(int x) => throw new UnserializableTestException($"custom {x}");

    /// <summary>Blocks until the gate named by <paramref name="gate"/> opens (a static gate: the test process is the node).</summary>
    public static int WaitForGate(string gate)
    {
        Gates.Get(gate).Wait(TimeSpan.FromSeconds(30));
        return 1;
    }

    /// <summary>Runs until cancelled (checks RayContext.CancellationToken), then reports how it ended.</summary>
    public static async Task<string> RunUntilCancelled(string gate)
    {
        Gates.Get(gate + ".started").Set();
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(30), RayContext.CancellationToken);
            return "finished";
        }
        catch (OperationCanceledException)
        {
            Gates.Get(gate + ".observed").Set();
            return "cancelled";
        }
    }

    public static int IgnoreCancellation(string gate)
    {
        Gates.Get(gate + ".started").Set();
        Gates.Get(gate).Wait(TimeSpan.FromSeconds(30));
        return 7;
    }

    public static int FailTwiceThenSucceed(string key)
    {
        var n = Counters.Increment(key);
        if (n <= 2)
        {
            throw new IOException($"transient failure {n}");
        }

        return n;
    }

    public static int CountCalls(string key) => Counters.Increment(key);

    public static int[] Mutate(int[] values)
    {
        values[0] = -1;
        return values;
    }

    public static int SumRefs(List<ObjectRef<int>> refs)
    {
        // Nested refs arrive as refs; resolve them inside the task.
        var ray = Ray.Current;
        var total = 0;
        foreach (var r in refs)
        {
            total += ray.GetAsync(r).AsTask().GetAwaiter().GetResult();
        }

        return total;
    }

    public static async Task<int> NestedSquares(int n)
    {
        var ray = Ray.Current;
        var refs = Enumerable.Range(1, n).Select(i => ray.Task(Square, i).Remote()).ToArray();
        var values = await ray.GetAsync(refs);
        return values.Sum();
    }

    public static int BlockingNested(int x)
    {
        var ray = Ray.Current;
        return ray.GetAsync(ray.Task(Square, x).Remote()).AsTask().GetAwaiter().GetResult();
    }

    public static string CurrentFunction() => RayContext.FunctionName ?? "(none)";

    public static int Identity(int x) => x;

    /// <summary>Holds its slot until the gate named <paramref name="key"/> opens, recording how many run at once.</summary>
    public static int Occupy(string key)
    {
        var now = Counters.Increment(key + ".running");
        Counters.Max(key + ".max", now);
        Gates.Get(key).Wait(TimeSpan.FromSeconds(30));
        Counters.Decrement(key + ".running");
        return now;
    }

    public static string WhereAmI() =>
        $"{Thread.CurrentThread.Name}|{Thread.CurrentThread.IsThreadPoolThread}";

    public static int ReadPoint(Point p) => p.X + p.Y;

    public static object Unserializable() => new NotSerializable();

    public static ObjectRef<int> MakeRef(int x) => Ray.Current.Task(Square, x).Remote();

    /// <summary>Submits a 0-CPU child whose argument is a task waiting for the gate named <paramref name="gate"/>, and
    /// returns the child's ref: until the gate opens, this task's node owns a task waiting for its arguments.</summary>
    public static ObjectRef<int> SubmitWaitingChild(string gate)
    {
        var ray = Ray.Current;
        var waiting = ray.Task(WaitForGate, gate).Options(new TaskOptions { NumCpus = 0 }).Remote();
        return ray.Task(Square, waiting).Options(new TaskOptions { NumCpus = 0 }).Remote();
    }

    public static async Task<int> CallCounter(ActorHandle<Actors.Counter> counter, int times)
    {
        var last = 0;
        for (var i = 0; i < times; i++)
        {
            last = await counter.Task(c => c.Increment()).Remote();
        }

        return last;
    }
}

[GenerateSerializer]
public sealed record Point([property: Id(0)] int X, [property: Id(1)] int Y);

public sealed class NotSerializable
{
    public int Value { get; set; } = 1;
}

public sealed class UnserializableTestException : Exception
{
    public UnserializableTestException(string message) : base(message)
    {
    }
}

/// <summary>Named gates shared between test code and tasks running in this process.</summary>
public static class Gates
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, ManualResetEventSlim> All = new();

    public static ManualResetEventSlim Get(string name) => All.GetOrAdd(name, _ => new ManualResetEventSlim());
}

/// <summary>Named counters shared between test code and tasks running in this process.</summary>
public static class Counters
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, StrongBox> All = new();

    public static int Increment(string key) => Interlocked.Increment(ref All.GetOrAdd(key, _ => new StrongBox()).Value);

    public static int Get(string key) => All.TryGetValue(key, out var box) ? Volatile.Read(ref box.Value) : 0;

    public static int Decrement(string key) => Interlocked.Decrement(ref All.GetOrAdd(key, _ => new StrongBox()).Value);

    public static void Max(string key, int value)
    {
        var box = All.GetOrAdd(key, _ => new StrongBox());
        int current;
        while ((current = Volatile.Read(ref box.Value)) < value && Interlocked.CompareExchange(ref box.Value, value, current) != current)
        {
        }
    }

    public sealed class StrongBox
    {
        public int Value;
    }
}
