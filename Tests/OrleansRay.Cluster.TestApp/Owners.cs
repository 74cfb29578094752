namespace OrleansRay.Cluster.TestApp;

/// <summary>Objects owned by a node: a task that puts a value there returns the ref, so the node's runtime is its owner
/// (Ray's ownership) and the driver only borrows it.</summary>
public static class Owners
{
    /// <summary>Puts the numbers 0 to <paramref name="n"/> - 1 on the node this runs on and returns the ref.</summary>
    public static async Task<ObjectRef<int[]>> PutHere(int n) => await Ray.Current.PutAsync(Enumerable.Range(0, n).ToArray());
}
