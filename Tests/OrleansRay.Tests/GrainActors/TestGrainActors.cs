using System.Collections.Concurrent;

namespace OrleansRay.Tests.GrainActors;

/// <summary>A counter behind a grain interface, as an Orleans developer writes one.</summary>
public interface ICounterActor : IActor
{
    Task<int> Increment();

    Task<int> Add(int amount);

    Task<int> Get();

    /// <summary>Appends to the actor's log (order checks).</summary>
    Task Append(int value);

    Task<List<int>> Log();

    /// <summary>Holds the call until the gate named <paramref name="gate"/> opens; counts calls inside the group
    /// (the gate's name up to its last '.').</summary>
    Task<int> Hold(string gate);

    /// <summary>Reads an object by ref inside the actor (a ref passed as a ref).</summary>
    Task<int> AddRef(ObjectRef<int> amount);

    /// <summary>Puts its count in the object store and returns the ref.</summary>
    Task<ObjectRef<int>> CountAsRef();

    /// <summary>Calls another actor through the proxy it was given.</summary>
    Task<int> IncrementOther(ICounterActor other);

    /// <summary>The node this actor runs on.</summary>
    Task<string> Node();

    Task<int> Fail(string message);
}

public sealed class CounterActor : ActorGrain, ICounterActor
{
    private readonly List<int> _log = new();
    private int _n;

    public Task<int> Increment() => Task.FromResult(++_n);

    public Task<int> Add(int amount) => Task.FromResult(_n += amount);

    public Task<int> Get() => Task.FromResult(_n);

    public Task Append(int value)
    {
        _log.Add(value);
        return Task.CompletedTask;
    }

    public Task<List<int>> Log() => Task.FromResult(_log.ToList());

    public async Task<int> Hold(string gate)
    {
        var inside = GrainActorGates.Enter(gate);
        try
        {
            await GrainActorGates.Get(gate).Task.WaitAsync(TimeSpan.FromSeconds(60));
            return inside;
        }
        finally
        {
            GrainActorGates.Leave(gate);
        }
    }

    public async Task<int> AddRef(ObjectRef<int> amount) => _n += await Ray.GetAsync(amount);

    public async Task<ObjectRef<int>> CountAsRef() => await Ray.PutAsync(_n);

    public Task<int> IncrementOther(ICounterActor other) => other.Increment();

    public Task<string> Node() => Task.FromResult(RayContext.NodeId.ToString());

    public Task<int> Fail(string message) => throw new InvalidOperationException(message);
}

/// <summary>An actor whose start-up (OnActivateAsync) throws.</summary>
public interface IBrokenActor : IActor
{
    Task<int> Ping();
}

public sealed class BrokenActor : ActorGrain, IBrokenActor
{
    public override Task OnActivateAsync(CancellationToken cancellationToken) => throw new InvalidOperationException("cannot start: no configuration");

    public Task<int> Ping() => Task.FromResult(1);
}

/// <summary>Gates opened by tests and awaited by actor methods in this process, and how many calls of a group (a gate
/// name up to its last '.') are inside at once.</summary>
public static class GrainActorGates
{
    private static readonly ConcurrentDictionary<string, TaskCompletionSource> All = new();
    private static readonly ConcurrentDictionary<string, int[]> Groups = new();

    public static TaskCompletionSource Get(string name) => All.GetOrAdd(name, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>Calls of the group inside now, and the most ever inside at once.</summary>
    public static (int Inside, int Most) Of(string group)
    {
        var counts = Groups.GetOrAdd(group, _ => new int[2]);
        lock (counts)
        {
            return (counts[0], counts[1]);
        }
    }

    internal static int Enter(string gate)
    {
        var counts = Groups.GetOrAdd(GroupOf(gate), _ => new int[2]);
        lock (counts)
        {
            counts[0]++;
            counts[1] = Math.Max(counts[1], counts[0]);
            return counts[0];
        }
    }

    internal static void Leave(string gate)
    {
        var counts = Groups.GetOrAdd(GroupOf(gate), _ => new int[2]);
        lock (counts)
        {
            counts[0]--;
        }
    }

    private static string GroupOf(string gate) => gate[..Math.Max(0, gate.LastIndexOf('.'))];
}

/// <summary>Task functions that use actors behind grain interfaces passed to them.</summary>
public static class GrainActorFunctions
{
    public static async Task<int> IncrementTwice(ICounterActor counter)
    {
        await counter.Increment();
        return await counter.Increment();
    }
}

/// <summary>A class actor that calls an actor behind a grain interface it was given.</summary>
public sealed class GrainCaller
{
    public async Task<int> Call(ICounterActor counter) => await counter.Add(10);
}
