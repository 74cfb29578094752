using System.Collections.Concurrent;

namespace OrleansRay.Tests.Utilities;

/// <summary>What the <see cref="PoolWorker"/>s of one test did: calls running at once (overall and per actor), calls per actor.</summary>
public sealed class PoolLedger
{
    private static readonly ConcurrentDictionary<string, PoolLedger> Ledgers = new();
    private readonly object _lock = new();
    private readonly Dictionary<string, int> _runningPerActor = [];
    private int _running;

    public static PoolLedger Of(string test) => Ledgers.GetOrAdd(test, _ => new PoolLedger());

    public ConcurrentDictionary<string, int> CallsPerActor { get; } = new();

    /// <summary>The inputs of the calls that return nothing (<see cref="PoolWorker.Record"/> and its kin).</summary>
    public ConcurrentBag<int> Recorded { get; } = new();

    public int MaxRunning { get; private set; }

    public int MaxRunningOnOneActor { get; private set; }

    /// <summary>Calls wait here while it is not completed (a test holds them to show that results wait).</summary>
    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Enter(string actor)
    {
        lock (_lock)
        {
            _running++;
            MaxRunning = Math.Max(MaxRunning, _running);
            _runningPerActor[actor] = _runningPerActor.GetValueOrDefault(actor) + 1;
            MaxRunningOnOneActor = Math.Max(MaxRunningOnOneActor, _runningPerActor[actor]);
        }

        CallsPerActor.AddOrUpdate(actor, 1, (_, n) => n + 1);
    }

    public void Leave(string actor)
    {
        lock (_lock)
        {
            _running--;
            _runningPerActor[actor]--;
        }
    }
}

/// <summary>An actor of an actor pool that records in its test's <see cref="PoolLedger"/> what it runs.</summary>
public sealed class PoolWorker
{
    private readonly string _test;
    private readonly string _name;

    public PoolWorker(string test, string name)
    {
        _test = test;
        _name = name;
    }

    /// <summary>Squares <paramref name="x"/>, yielding a moment so that calls overlap; 13 is refused.</summary>
    public async Task<int> Square(int x)
    {
        var ledger = PoolLedger.Of(_test);
        ledger.Enter(_name);
        try
        {
            await Task.Yield();
            await Task.Delay(2);
            if (x == 13)
            {
                throw new InvalidOperationException($"unlucky input {x}");
            }

            return x * x;
        }
        finally
        {
            ledger.Leave(_name);
        }
    }

    /// <summary>Records <paramref name="x"/> and returns nothing (a <c>Task</c>), after the same work as
    /// <see cref="Square"/> (13 is refused).</summary>
    public async Task Record(int x)
    {
        await Square(x);
        PoolLedger.Of(_test).Recorded.Add(x);
    }

    /// <summary>As <see cref="Record"/>, returning a <c>ValueTask</c>.</summary>
    public async ValueTask RecordSoon(int x) => await Record(x);

    /// <summary>As <see cref="Record"/>, returning <c>void</c> (no await: the call is done when it returns).</summary>
    public void RecordNow(int x)
    {
        if (x == 13)
        {
            throw new InvalidOperationException($"unlucky input {x}");
        }

        PoolLedger.Of(_test).Recorded.Add(x);
    }

    /// <summary>As <see cref="Square"/>, once the test opens its gate: calls stay running, so later submissions wait
    /// in the pool for as long as the test needs.</summary>
    public async Task<int> SquareWhenOpen(int x)
    {
        await PoolLedger.Of(_test).Gate.Task;
        return await Square(x);
    }

    /// <summary>Returns 1 for any value: a method whose argument a test can make unserializable.</summary>
    public int Measure(object value) => value is null ? 0 : 1;

    /// <summary>Returns <paramref name="x"/> once the test opens its gate.</summary>
    public async Task<int> Held(int x)
    {
        await PoolLedger.Of(_test).Gate.Task;
        return x;
    }
}
