namespace OrleansRay.Cluster.TestApp;

/// <summary>An ordinary Orleans grain of the application (nothing of OrleansRay in it): every node hosts its class
/// because it loaded this assembly with <c>--load</c>.</summary>
public interface ITallyGrain : IGrainWithStringKey
{
    /// <summary>Adds <paramref name="amount"/>; returns the total.</summary>
    Task<int> AddAsync(int amount);

    /// <summary>The node (as <c>RayContext.NodeId</c> names it) this activation lives on.</summary>
    Task<string> NodeAsync();
}
