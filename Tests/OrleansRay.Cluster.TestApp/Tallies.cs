namespace OrleansRay.Cluster.TestApp;

/// <summary>Tasks that call the application's ordinary grain (<see cref="ITallyGrain"/>) from the node they run on.</summary>
public static class Tallies
{
    /// <summary>Adds to the tally <paramref name="key"/> through the node's grain factory; returns "task's node|total|grain's node".</summary>
    public static async Task<string> AddFromTask(string key, int amount)
    {
        var tally = Ray.Current.GrainFactory.GetGrain<ITallyGrain>(key);
        var total = await tally.AddAsync(amount);
        return $"{RayContext.NodeId.Value}|{total}|{await tally.NodeAsync()}";
    }

    /// <summary>Adds through a grain reference the caller passed as the argument.</summary>
    public static Task<int> AddThrough(ITallyGrain tally, int amount)
    {
        ArgumentNullException.ThrowIfNull(tally);
        return tally.AddAsync(amount);
    }
}
