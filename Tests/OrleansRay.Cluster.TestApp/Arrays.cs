namespace OrleansRay.Cluster.TestApp;

/// <summary>Large values for the object path tests: arrays far above the inline threshold, made and read on real nodes.</summary>
public static class Arrays
{
    /// <summary>The <paramref name="n"/> values <c>seed + i * 0.5</c>: a task's large result whose every element a
    /// reader can check.</summary>
    public static double[] Ramp(int n, double seed)
    {
        var values = new double[n];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = seed + (i * 0.5);
        }

        return values;
    }

    /// <summary>A new array of each element plus one: a dependent large result.</summary>
    public static double[] AddOne(double[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var next = new double[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            next[i] = values[i] + 1;
        }

        return next;
    }

    /// <summary>True when <paramref name="values"/> is exactly <c>Ramp(n, seed)</c>, and where it was checked.</summary>
    public static (bool Exact, string Node) IsRamp(double[] values, int n, double seed)
    {
        ArgumentNullException.ThrowIfNull(values);
        var exact = values.Length == n;
        for (var i = 0; exact && i < values.Length; i++)
        {
            exact = values[i] == seed + (i * 0.5);
        }

        return (exact, RayContext.NodeId.Value);
    }

    /// <summary>The node's live managed heap in bytes, after a full collection.</summary>
    public static long LiveHeapBytes() => GC.GetTotalMemory(forceFullCollection: true);
}
