namespace OrleansRay.Tests.AsyncActors;

/// <summary>Counts how many synchronous sections run at the same instant, across threads: an exclusive context keeps
/// the maximum at 1, parallel threads would not (each section spins a little to make an overlap visible).</summary>
public sealed class OverlapProbe
{
    private int _active;
    private int _max;

    public int Max => Volatile.Read(ref _max);

    public void Section()
    {
        var now = Interlocked.Increment(ref _active);
        int seen;
        while (now > (seen = Volatile.Read(ref _max)) && Interlocked.CompareExchange(ref _max, now, seen) != seen)
        {
        }

        Thread.SpinWait(2_000);
        Interlocked.Decrement(ref _active);
    }
}

/// <summary>Counts the calls of one kind inside the actor (started, not finished) and their maximum; thread-safe, since
/// calls of different concurrency groups may run on different threads.</summary>
public sealed class InsideCounter
{
    private int _inside;
    private int _max;

    public int Inside => Volatile.Read(ref _inside);

    public int Max => Volatile.Read(ref _max);

    public void Enter()
    {
        var now = Interlocked.Increment(ref _inside);
        int seen;
        while (now > (seen = Volatile.Read(ref _max)) && Interlocked.CompareExchange(ref _max, now, seen) != seen)
        {
        }
    }

    public void Leave() => Interlocked.Decrement(ref _inside);
}

/// <summary>An async actor whose calls wait on a gate the test opens with another call.</summary>
[AsyncActor]
public sealed class AsyncGateActor
{
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly OverlapProbe _overlap = new();
    private readonly InsideCounter _calls = new();
    private readonly List<int> _started = new();

    /// <summary>Records its start, waits for the gate, then runs three more sections split by awaits.</summary>
    public async Task<int> Wait(int i)
    {
        _overlap.Section();
        _started.Add(i); // no lock: the actor's calls never run on two threads at once
        _calls.Enter();
        await _gate.Task;
        _overlap.Section();
        await Task.Yield();
        _overlap.Section();
        await Task.Delay(1);
        _overlap.Section();
        _calls.Leave();
        return i;
    }

    /// <summary>Records its start and yields once.</summary>
    public async Task<int> Record(int i)
    {
        _started.Add(i);
        await Task.Yield();
        return i;
    }

    public int Inside() => _calls.Inside;

    public int MaxOverlap() => _overlap.Max;

    public int[] Started() => _started.ToArray();

    public bool Open() => _gate.TrySetResult();
}

/// <summary>The same kind of async method, in an actor that is not an async actor: its calls run one at a time.</summary>
public sealed class SyncStepActor
{
    private readonly InsideCounter _calls = new();

    public async Task<int> Step(int i)
    {
        _calls.Enter();
        await Task.Delay(2);
        await Task.Yield();
        _calls.Leave();
        return i;
    }

    public int Max() => _calls.Max;
}

/// <summary>An async actor with "io" and "compute" concurrency groups (created with their limits).</summary>
[AsyncActor]
public sealed class GroupedAsyncActor
{
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly InsideCounter _io = new();
    private readonly InsideCounter _compute = new();
    private readonly InsideCounter _held = new();
    private readonly List<int> _fetched = new();

    [ConcurrencyGroup("io")]
    public async Task<int> Fetch(int i)
    {
        lock (_fetched)
        {
            _fetched.Add(i);
        }

        _io.Enter();
        await _gate.Task;
        _io.Leave();
        return i;
    }

    [ConcurrencyGroup("compute")]
    public async Task<int> Compute(int i)
    {
        _compute.Enter();
        await Task.Delay(2);
        await Task.Yield();
        _compute.Leave();
        return i * i;
    }

    /// <summary>In no group by itself: the caller picks one per call.</summary>
    public async Task<int> Hold(int i)
    {
        _held.Enter();
        await _gate.Task;
        _held.Leave();
        return i;
    }

    public int[] Io() => new[] { _io.Inside, _io.Max };

    public int ComputeMax() => _compute.Max;

    public int[] Fetched()
    {
        lock (_fetched)
        {
            return _fetched.ToArray();
        }
    }

    public int[] Held() => new[] { _held.Inside, _held.Max };

    public bool Open() => _gate.TrySetResult();
}

/// <summary>A (threaded, not async) actor with an "io" group whose calls block their thread until released.</summary>
public sealed class GroupedThreadedActor
{
    private readonly ManualResetEventSlim _release = new();
    private readonly InsideCounter _io = new();
    private int _computed;

    [ConcurrencyGroup("io")]
    public int Block(int i)
    {
        _io.Enter();
        _release.Wait(TimeSpan.FromMinutes(1));
        _io.Leave();
        return i;
    }

    [ConcurrencyGroup("compute")]
    public int Compute() => Interlocked.Increment(ref _computed);

    public int[] Io() => new[] { _io.Inside, _io.Max };

    public bool Release()
    {
        _release.Set();
        return true;
    }
}

/// <summary>A plain actor (not async, created without groups) with a method that names a concurrency group.</summary>
public sealed class PlainGroupedActor
{
    public int Echo(int i) => i;

    [ConcurrencyGroup("io")]
    public int Io(int i) => i;

    /// <summary>Creates a named <see cref="PlainGroupedActor"/> from inside a task (so the node running the task creates it).</summary>
    public static async Task<string> CreateNamed(string name, string ns)
    {
        var actor = Ray.Current.Actor(() => new PlainGroupedActor()).Options(new ActorOptions { Name = name, Namespace = ns, Lifetime = ActorLifetime.Detached }).Remote();
        await actor.Task(a => a.Echo(0)).Remote();
        return name;
    }
}
