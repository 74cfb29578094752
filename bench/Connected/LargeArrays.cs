namespace OrleansRay.Bench.Connected;

/// <summary>The remote functions of the object path benchmarks: a large array made on one node and read on another.
/// Node processes run them from this assembly (<c>--load</c>).</summary>
internal static class LargeArrays
{
    /// <summary>An array of <paramref name="length"/> doubles whose first and last elements are
    /// <paramref name="marker"/>: a result far above the inline threshold, so it goes into the store of the node that
    /// ran the task.</summary>
    public static double[] Make(int length, double marker)
    {
        var values = new double[length];
        values[0] = marker;
        values[^1] = marker;
        return values;
    }

    /// <summary>The sum of the first and last elements: a tiny result, so reading the argument is what the task costs.</summary>
    public static double Ends(double[] values) => values[0] + values[^1];
}
