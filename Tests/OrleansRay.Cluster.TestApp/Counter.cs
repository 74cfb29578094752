namespace OrleansRay.Cluster.TestApp;

/// <summary>An actor class the cluster tests place on chosen nodes.</summary>
public sealed class Counter
{
    private int _n;

    public int Increment() => ++_n;

    /// <summary>The node the actor lives on right now.</summary>
    public string Node() => RayContext.NodeId.Value;

    /// <summary>Adds to an ordinary grain of the application from the actor's node.</summary>
    public Task<int> AddToTally(string key, int amount) => Ray.Current.GrainFactory.GetGrain<ITallyGrain>(key).AddAsync(amount);
}

/// <summary>Counter's methods as remote actor methods: <c>handle.Task(CounterCalls.Increment)</c>.</summary>
/// <remarks>A method lambda (<c>c =&gt; c.Increment()</c>) compiles into the assembly that writes it, and a node runs it only
/// if it loaded that assembly. The nodes load this application, not the tests, so the tests call through these.</remarks>
public static class CounterCalls
{
    public static int Increment(Counter counter)
    {
        ArgumentNullException.ThrowIfNull(counter);
        return counter.Increment();
    }

    public static string Node(Counter counter)
    {
        ArgumentNullException.ThrowIfNull(counter);
        return counter.Node();
    }

    public static Task<int> AddToTally(Counter counter, string key)
    {
        ArgumentNullException.ThrowIfNull(counter);
        return counter.AddToTally(key, 100);
    }
}

/// <summary>An actor whose constructor takes any value: the cluster tests pass it one of a type no node has.</summary>
public sealed class Box
{
    private readonly object _value;

    public Box(object value) => _value = value;

    /// <summary>The held value's type name, as a remote actor method: <c>handle.Task(Box.TypeOf)</c>.</summary>
    public static string TypeOf(Box box)
    {
        ArgumentNullException.ThrowIfNull(box);
        return box._value.GetType().FullName!;
    }
}
