using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace OrleansRay.Tests.NoValue;

/// <summary>Remote functions that return nothing (<c>void</c>, <c>Task</c>, <c>ValueTask</c>): each records its side
/// effect in <see cref="Log"/> under the test's key. The in-process cluster runs every node in this process, so a task on
/// the far node and its test share the log.</summary>
public static class NoValueFunctions
{
    private static readonly ConcurrentDictionary<string, ConcurrentQueue<string>> Logs = new();

    /// <summary>What the functions of test <paramref name="key"/> recorded, in order.</summary>
    public static ConcurrentQueue<string> Log(string key) => Logs.GetOrAdd(key, _ => new ConcurrentQueue<string>());

    public static void Forget(string key) => Logs.TryRemove(key, out _);

    /// <summary>How many attempts each (key, what) had, for the retry test.</summary>
    private static readonly ConcurrentDictionary<string, int> Attempts = new();

    private static int _noArgumentRuns;

    /// <summary>How often <see cref="CountRun"/> ran (any test).</summary>
    public static int NoArgumentRuns => Volatile.Read(ref _noArgumentRuns);

    public static void CountRun() => Interlocked.Increment(ref _noArgumentRuns);

    public static void Write(string key, string what) => Log(key).Enqueue($"{what}@{RayContext.NodeId.Value}");

    public static async Task WriteLater(string key, string what)
    {
        await Task.Delay(20);
        Log(key).Enqueue($"{what}@{RayContext.NodeId.Value}");
    }

    public static ValueTask WriteValueTask(string key, string what)
    {
        Log(key).Enqueue($"{what}@{RayContext.NodeId.Value}");
        return ValueTask.CompletedTask;
    }

    public static async ValueTask WriteValueTaskLater(string key, string what)
    {
        await Task.Yield();
        Log(key).Enqueue($"{what}@{RayContext.NodeId.Value}");
    }

    /// <summary>Six parameters, no result: every argument reaches it.</summary>
    public static void WriteSix(string key, int a, int b, int c, int d, int e) => Log(key).Enqueue($"{a + b + c + d + e}@{RayContext.NodeId.Value}");

    public static void Throw(string message) => throw new InvalidOperationException(message);

    public static async Task ThrowLater(string message)
    {
        await Task.Yield();
        throw new ArgumentException(message);
    }

    public static ValueTask ThrowValueTask(string message) => ValueTask.FromException(new FormatException(message));

    /// <summary>Fails its first attempt, then records its write (for RetryExceptions).</summary>
    public static void FailOnceThenWrite(string key, string what)
    {
        if (Attempts.AddOrUpdate(key + "/" + what, 1, (_, n) => n + 1) == 1)
        {
            throw new TimeoutException("first attempt fails");
        }

        Write(key, what);
    }

    /// <summary>Runs only once <paramref name="done"/>'s task has finished (its Unit is an argument): what was written by then.</summary>
    public static string[] ReadAfter(Unit done, string key)
    {
        _ = done;
        return Log(key).ToArray();
    }

    /// <summary>A generator in C#'s usual shape: the task's token arrives as its last parameter. Yields forever until the
    /// token fires, then records whether it was the task's <see cref="RayContext.CancellationToken"/>.</summary>
    public static async IAsyncEnumerable<int> Counted(string key, int count, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Log(key).Enqueue(cancellationToken.CanBeCanceled ? "token given" : "no token");
        Log(key).Enqueue(cancellationToken == RayContext.CancellationToken ? "the task's token" : "another token");
        try
        {
            for (var i = 0; i < count; i++)
            {
                await Task.Yield();
                yield return i;
            }

            await Task.Delay(Timeout.Infinite, cancellationToken); // after its items: until the task is cancelled
        }
        finally
        {
            Log(key).Enqueue(cancellationToken.IsCancellationRequested ? "cancelled" : "ended");
        }
    }

    /// <summary>A generator taking only the token (submitted as <c>() =&gt; Three()</c>): yields 0..2, each after a
    /// wait on the token.</summary>
    public static async IAsyncEnumerable<int> Three([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        for (var i = 0; i < 3; i++)
        {
            await Task.Delay(1, cancellationToken);
            yield return i;
        }
    }
}

/// <summary>A class actor whose methods return nothing: they change its state, in its callers' order.</summary>
public sealed class Journal
{
    private readonly List<int> _entries = [];

    public void Append(int entry) => _entries.Add(entry);

    public async Task AppendLater(int entry)
    {
        await Task.Yield(); // one call at a time: the next call starts only after this one has finished
        _entries.Add(entry);
    }

    public ValueTask AppendValueTask(int entry)
    {
        _entries.Add(entry);
        return ValueTask.CompletedTask;
    }

    public void Reset() => _entries.Clear();

    public void Fail(string message) => throw new InvalidOperationException(message);

    public int[] Entries() => [.. _entries];
}

/// <summary>An async actor (its calls interleave at awaits) with a method returning a plain Task.</summary>
[AsyncActor]
public sealed class AsyncJournal
{
    private readonly List<int> _entries = [];

    public async Task Append(int entry)
    {
        _entries.Add(entry); // before the await: calls start in submission order
        await Task.Delay(5);
    }

    public int[] Entries() => [.. _entries];
}

/// <summary>Functions of each shape, for the overload resolution test (never run).</summary>
public static class OverloadShapes
{
    public static Task<int> TaskOfInt(int x) => Task.FromResult(x);

    public static ValueTask<int> ValueTaskOfInt(int x) => new(x);

    public static string Echo(string s) => s;

    public static int[] Numbers(int n) => new int[n];

    public static IEnumerable<int> Iterate(int n)
    {
        for (var i = 0; i < n; i++)
        {
            yield return i;
        }
    }

    public static async IAsyncEnumerable<int> Stream(int n)
    {
        for (var i = 0; i < n; i++)
        {
            await Task.Yield();
            yield return i;
        }
    }
}
