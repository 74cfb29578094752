using OrleansRay.Bench.Connected;

namespace OrleansRay.Bench.Scale;

/// <summary>The node processes and connected drivers of one scalability-envelope row: a head (<c>orleansray start
/// --head</c>), workers joining it (<c>orleansray start --address HEAD</c>), each a <see cref="NodeProcess"/>, and
/// drivers in this process connected through the head's gateway (<c>Ray.InitAsync</c> with an address, as a user's
/// program connects). Started by the row's setup and stopped by its cleanup — drivers first, then the workers, then the
/// head — and also when starting fails half-way; every node process is killed by pid if it outlives <c>orleansray stop</c>.</summary>
internal sealed class ScaleCluster : IAsyncDisposable
{
    /// <summary>Workers started at once: more would make the joins compete for the machine's 2 cores.</summary>
    private const int ConcurrentStarts = 2;

    /// <summary>Head first, then the workers.</summary>
    private readonly List<NodeProcess> _nodes = new();
    private readonly List<IRay> _drivers = new();

    private ScaleCluster()
    {
    }

    /// <summary>Head first, then the workers.</summary>
    public IReadOnlyList<NodeProcess> Nodes => _nodes;

    /// <summary>The connected drivers, in the order they connected.</summary>
    public IReadOnlyList<IRay> Drivers => _drivers;

    /// <summary>Starts <paramref name="nodeCount"/> node processes offering <paramref name="cpusPerNode"/> CPUs each and
    /// connects <paramref name="driverCount"/> drivers to the head; returns once the first driver sees every node alive.</summary>
    public static async Task<ScaleCluster> StartAsync(int nodeCount, double cpusPerNode, int driverCount)
    {
        var cluster = new ScaleCluster();
        try
        {
            var head = await NodeProcess.StartHeadAsync(cpusPerNode);
            cluster._nodes.Add(head);
            for (var started = 1; started < nodeCount; started += ConcurrentStarts)
            {
                var batch = Enumerable.Range(0, Math.Min(ConcurrentStarts, nodeCount - started))
                    .Select(_ => NodeProcess.StartWorkerAsync(head.Address, cpusPerNode)).ToList();
                try
                {
                    await Task.WhenAll(batch);
                }
                finally
                {
                    // WhenAll has seen every start finish: the ones that succeeded are stopped with the cluster.
                    cluster._nodes.AddRange(batch.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result));
                }
            }

            for (var i = 0; i < driverCount; i++)
            {
                cluster._drivers.Add(await ConnectedDriver.ConnectAsync(head.Address));
            }

            await ConnectedDriver.WaitForAliveNodesAsync(cluster._drivers[0], nodeCount);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>The sum of every node process's peak resident memory since it started, in bytes (<see cref="NodeProcess.PeakResidentBytes"/>).</summary>
    public long NodesPeakResidentBytes() => _nodes.Sum(n => n.PeakResidentBytes());

    public async ValueTask DisposeAsync()
    {
        foreach (var driver in _drivers)
        {
            await ConnectedDriver.DisconnectAsync(driver);
        }

        _drivers.Clear();
        await NodeProcess.StopAllAsync(_nodes); // workers first, then the head
    }
}
