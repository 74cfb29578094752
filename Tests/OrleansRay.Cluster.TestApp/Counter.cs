namespace OrleansRay.Cluster.TestApp;

/// <summary>An actor class the cluster tests place on chosen nodes.</summary>
public sealed class Counter
{
    private int _n;

    public int Increment() => ++_n;

    /// <summary>The node the actor lives on right now.</summary>
    public string Node() => RayContext.NodeId.Value;
}
