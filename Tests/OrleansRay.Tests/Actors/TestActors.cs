namespace OrleansRay.Tests.Actors;

public sealed class Counter
{
    private int _n;

    public Counter(int start) => _n = start;

    public Counter() : this(0)
    {
    }

    public int Increment() => ++_n;

    public int Add(int k) => _n += k;

    public int Get() => _n;

    public async Task<int> SlowGet()
    {
        await Task.Delay(10);
        return _n;
    }
}

/// <summary>Records the order calls arrive in.</summary>
public sealed class Recorder
{
    private readonly List<int> _seen = new();

    public int Record(int value)
    {
        _seen.Add(value);
        return _seen.Count;
    }

    public async Task<int> RecordSlowly(int value, int delayMs)
    {
        await Task.Delay(delayMs);
        _seen.Add(value);
        return _seen.Count;
    }

    public List<int> Seen() => _seen.ToList();
}

/// <summary>Tracks how many calls run at once.</summary>
public sealed class ConcurrencyProbe
{
    private int _running;
    private int _max;

    public async Task<int> Enter(int delayMs)
    {
        var now = Interlocked.Increment(ref _running);
        InterlockedMax(ref _max, now);
        await Task.Delay(delayMs);
        Interlocked.Decrement(ref _running);
        return now;
    }

    public int Max() => Volatile.Read(ref _max);

    /// <summary>Stays in the call until the gate opens, counting calls inside under the gate's name.</summary>
    public async Task<int> EnterUntil(string gate)
    {
        var now = Functions.Counters.Increment(gate + ".running");
        Functions.Counters.Max(gate + ".max", now);
        await Task.Run(() => Functions.Gates.Get(gate).Wait(TimeSpan.FromSeconds(30)));
        Functions.Counters.Decrement(gate + ".running");
        return now;
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}

public sealed class Exploding
{
    public Exploding(string why) => throw new InvalidOperationException("constructor refused: " + why);

    public int Never() => 0;
}

/// <summary>Counts its constructions in a static counter, to observe restarts.</summary>
public sealed class Phoenix
{
    private readonly int _generation;

    public Phoenix(string key) => _generation = Functions.Counters.Increment(key);

    public int Generation() => _generation;
}

/// <summary>Calls another actor through a handle it was given.</summary>
public sealed class Forwarder
{
    private readonly ActorHandle<Counter> _target;

    public Forwarder(ActorHandle<Counter> target) => _target = target;

    public async Task<int> Forward() => await _target.Task(c => c.Increment()).Remote();

    public int Fail() => throw new ArgumentException("forwarder failed");
}

public sealed class Sleeper
{
    /// <summary>Blocks its thread (as sync I/O would) until the gate opens.</summary>
    public int BlockUntil(string gate)
    {
        Functions.Gates.Get(gate + ".blocked").Set();
        Functions.Gates.Get(gate).Wait(TimeSpan.FromSeconds(30));
        return 1;
    }
}

/// <summary>An actor that says where it lives (distributed tests).</summary>
public sealed class Locator
{
    private int _calls;

    public string Where() => RayContext.NodeId.Value;

    public int Calls() => ++_calls;

    public int AddTo(int value) => value + ++_calls;
}
