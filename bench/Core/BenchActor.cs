namespace OrleansRay.Bench.Core;

/// <summary>Ray's microbenchmark <c>Actor</c>: a trivial method, plus a counter that lets a run check call order.</summary>
internal sealed class BenchActor
{
    private int _count;

    /// <summary>Ray's <c>small_value()</c>.</summary>
    public int SmallValue() => BenchFunctions.Expected;

    /// <summary>Returns 1, 2, 3, ...: calls of one caller run in submission order, so a batch must come back consecutive.</summary>
    public int Next() => ++_count;

    /// <summary>The node this actor lives on: benchmarks that spread actors check where they landed.</summary>
    public string Node() => RayContext.NodeId.Value;
}
