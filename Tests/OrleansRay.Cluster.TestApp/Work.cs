namespace OrleansRay.Cluster.TestApp;

/// <summary>Remote functions the cluster tests run on real nodes (loaded there with <c>--load</c>).</summary>
public static class Work
{
    public static int Square(int x) => x * x;

    /// <summary>The id of the node running the task (as <c>NodesAsync</c> names it).</summary>
    public static string WhereAmI() => RayContext.NodeId.Value;

    /// <summary>A ~20 ms task (the "5,000 tasks, each ~20 ms") that says where it ran.</summary>
    public static (int Value, string Node) SlowSquare(int x)
    {
        Thread.Sleep(20);
        return (x * x, RayContext.NodeId.Value);
    }

    /// <summary>A value of a [GenerateSerializer] type defined only in this assembly: a node knows how to serialize it
    /// only when it loaded this assembly with --load.</summary>
    public static Point Mirror(Point p) => new(p.Y, p.X, RayContext.NodeId.Value);
}
