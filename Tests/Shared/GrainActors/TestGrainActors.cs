namespace OrleansRay.TestGrainActors;

// Compiled into the cluster TestApp only (every CLI node loads it; the in-process tests reference it): Orleans refuses a
// node that loads two assemblies with a grain class of the same name.

/// <summary>A counter behind a grain interface, as an Orleans developer writes one.</summary>
public interface ICounterActor : IActor
{
    Task<int> Increment();

    Task<int> Add(int amount);

    Task<int> Get();

    /// <summary>Appends to the actor's log (order checks).</summary>
    Task Append(int value);

    Task<List<int>> Log();

    /// <summary>Holds the call until <paramref name="gates"/> opens the gate named <paramref name="gate"/>; the gate
    /// actor counts the calls of the group (the gate's name up to its last '.') inside at once.</summary>
    Task<int> Hold(IGateActor gates, string gate);

    /// <summary>Reads an object by ref inside the actor (a ref passed as a ref).</summary>
    Task<int> AddRef(ObjectRef<int> amount);

    /// <summary>Puts its count in the object store and returns the ref.</summary>
    Task<ObjectRef<int>> CountAsRef();

    /// <summary>Calls another actor through the proxy it was given.</summary>
    Task<int> IncrementOther(ICounterActor other);

    /// <summary>The node this actor runs on.</summary>
    Task<string> Node();

    Task<int> Fail(string message);

    /// <summary>Throws the application's own <see cref="ShardMissingException"/> (no codec of its own) wrapping an
    /// <see cref="IOException"/>.</summary>
    Task<int> FailWithShard(string message);

    /// <summary>Whether the method's request context still holds the call's order stamp (it must not).</summary>
    Task<bool> SeesOrderStamp();

    /// <summary>The GPUs the actor holds (<see cref="ActorGrain"/>'s GpuIds).</summary>
    Task<int[]> Gpus();
}

public sealed class CounterActor : ActorGrain, ICounterActor
{
    private readonly List<int> _log = new();
    private int _n;

    public Task<int> Increment() => Task.FromResult(++_n);

    public Task<int> Add(int amount) => Task.FromResult(_n += amount);

    public Task<int> Get() => Task.FromResult(_n);

    public Task<bool> SeesOrderStamp() => Task.FromResult(Orleans.Runtime.RequestContext.Keys.Any());

    public Task<int[]> Gpus() => Task.FromResult(GpuIds.ToArray());

    public Task Append(int value)
    {
        _log.Add(value);
        return Task.CompletedTask;
    }

    public Task<List<int>> Log() => Task.FromResult(_log.ToList());

    public async Task<int> Hold(IGateActor gates, string gate)
    {
        var inside = await gates.Enter(gate);
        try
        {
            await gates.Wait(gate);
            return inside;
        }
        finally
        {
            await gates.Leave(gate);
        }
    }

    public async Task<int> AddRef(ObjectRef<int> amount) => _n += await Ray.GetAsync(amount);

    public async Task<ObjectRef<int>> CountAsRef() => await Ray.PutAsync(_n);

    public Task<int> IncrementOther(ICounterActor other) => other.Increment();

    public Task<string> Node() => Task.FromResult(Ray.NodeId.Value);

    public Task<int> Fail(string message) => throw new InvalidOperationException(message);

    public Task<int> FailWithShard(string message) => throw new ShardMissingException(message, new IOException("disk gone"));
}

/// <summary>An application's own exception type, without <c>[GenerateSerializer]</c>, as most are.</summary>
public sealed class ShardMissingException(string message, Exception? inner) : Exception(message, inner);

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

/// <summary>Gates that tests open and actor methods wait for, in an actor so that they work across processes; and how
/// many calls of a group (a gate name up to its last '.') are inside at once. Create it with a large MaxConcurrency.</summary>
public interface IGateActor : IActor
{
    Task<int> Enter(string gate);

    Task Leave(string gate);

    Task Wait(string gate);

    Task Open(string gate);

    /// <summary>Calls of the group inside now, and the most ever inside at once.</summary>
    Task<int[]> Of(string group);
}

public sealed class GateActor : ActorGrain, IGateActor
{
    private readonly Dictionary<string, TaskCompletionSource> _gates = new();
    private readonly Dictionary<string, int[]> _groups = new();

    public Task<int> Enter(string gate)
    {
        var counts = Group(gate[..Math.Max(0, gate.LastIndexOf('.'))]);
        counts[0]++;
        counts[1] = Math.Max(counts[1], counts[0]);
        return Task.FromResult(counts[0]);
    }

    public Task Leave(string gate)
    {
        Group(gate[..Math.Max(0, gate.LastIndexOf('.'))])[0]--;
        return Task.CompletedTask;
    }

    public Task Wait(string gate) => Gate(gate).Task;

    public Task Open(string gate)
    {
        Gate(gate).TrySetResult();
        return Task.CompletedTask;
    }

    public Task<int[]> Of(string group) => Task.FromResult(Group(group).ToArray());

    private int[] Group(string group) => _groups.TryGetValue(group, out var counts) ? counts : _groups[group] = new int[2];

    private TaskCompletionSource Gate(string name) => _gates.TryGetValue(name, out var gate) ? gate : _gates[name] = new TaskCompletionSource();
}

/// <summary>Task functions that use actors behind grain interfaces passed to them.</summary>
public static class GrainActorFunctions
{
    /// <summary>The node the task runs on.</summary>
    public static string Node() => RayContext.NodeId.Value;

    public static int Double(int x) => x * 2;

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

    /// <summary>Call as a remote actor method (a static method: its assembly is on every node).</summary>
    public static Task<int> CallOn(GrainCaller caller, ICounterActor counter) => caller.Call(counter);
}

/// <summary>A contract that lists another grain interface before <see cref="IActor"/>: its proxy must still be an
/// actor proxy (<see cref="ActorReference"/>), whose calls carry their order.</summary>
public interface ISecondListedActor : IGrainWithGuidKey, IActor
{
    Task<int> Ping();
}
