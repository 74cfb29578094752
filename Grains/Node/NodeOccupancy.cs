using OrleansRay.Ownership;
using OrleansRay.Placement;

namespace OrleansRay.Node;

/// <summary>The node runtime's answer to placement's <see cref="INodeOccupancy"/>: live hosted actors, and the primary
/// copies in the node's object store, and the objects its runtime owns.</summary>
/// <remarks>The store is asked asynchronously (it may be another process): each read of
/// <see cref="PrimaryObjectCount"/> returns the count last read and starts one new read unless one is in flight, so the
/// node-table row, built every refresh, never waits for the store and lags it by at most one refresh. A store that does
/// not answer keeps the last count (a node that held primary copies is not reported empty because its store is stuck).</remarks>
internal sealed class NodeOccupancy : INodeOccupancy
{
    private static readonly TimeSpan ReadDeadline = TimeSpan.FromSeconds(2);

    private readonly NodeRuntime _runtime;
    private int _primaries;
    private int _reading;

    public NodeOccupancy(NodeRuntime runtime) => _runtime = runtime;

    public int ActorCount => _runtime.ActorServices.HostedActors.LiveCount;

    public int OwnedObjectCount => _runtime.Objects.Count;

    public int PrimaryObjectCount
    {
        get
        {
            if (_runtime.Store is not { } store)
            {
                return 0;
            }

            if (Interlocked.Exchange(ref _reading, 1) == 0)
            {
                _ = ReadAsync(store);
            }

            return Volatile.Read(ref _primaries);
        }
    }

    private async Task ReadAsync(LocalObjectStore store)
    {
        try
        {
            using var deadline = new CancellationTokenSource(ReadDeadline);
            var stats = await store.Client.GetStatsAsync(deadline.Token).ConfigureAwait(false);
            Volatile.Write(ref _primaries, stats.PrimaryCount);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Keep the last count: the store is stopping with the node, or stuck (the dashboard reports that).
        }
        finally
        {
            Volatile.Write(ref _reading, 0);
        }
    }
}
